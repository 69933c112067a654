"""Cheap repeats of public pages: a site-wide content version, ETags and a page cache.

Every public page depends on the same few tables, so instead of tracking what each
page shows, any staff edit bumps one number (the *content version*) kept in the
cache. The version, together with today's date in the tracker's zone (countdowns
and "overdue" change at midnight), is both the ETag and part of the cache key:
an edit makes every old entry unreachable at once, and a browser that already has
the current version gets a 304 without a single SQL query.

The cache is an optimisation, never a dependency: if it is down, pages are rendered
as if nothing were cached and carry no validators.
"""

import functools
import hashlib
import logging
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from commitments import calendar

logger = logging.getLogger(__name__)

VERSION_KEY = "tracker:content-version"
# Writes that skip signals (bulk updates, raw SQL) still show up within this long.
PAGE_TTL_SECONDS = 300


def _safe(operation, default=None):
    try:
        return operation()
    except Exception:  # any cache backend error; the page must still render
        logger.warning("cache unavailable", exc_info=True)
        return default


def bump_content_version(**_kwargs):
    """Mark every cached public page stale. Safe to call anywhere, any number of times."""
    # Nanoseconds since the epoch: monotonic enough, and doubles as Last-Modified.
    _safe(lambda: cache.set(VERSION_KEY, time.time_ns(), timeout=None))


def _bump_now_and_after_commit(**kwargs):
    # Now, so this process stops serving stale pages at once; again after commit, so a
    # page rendered by another request mid-transaction is not cached under the new version.
    bump_content_version()
    transaction.on_commit(bump_content_version)


def content_version():
    """(version, last_modified_epoch_seconds), or None when the cache is unavailable."""

    def read():
        version = cache.get(VERSION_KEY)
        if version is None:
            version = time.time_ns()
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY, version)
        return version

    version = _safe(read)
    if version is None:
        return None
    today = calendar.today()
    midnight = calendar.start_of_day(today).timestamp()
    return f"{version}.{today.isoformat()}", max(version // 1_000_000_000, int(midnight))


def connect_signals():
    from commitments.models import Company, Page, Pledge, PledgeEvent, Source

    for model in (Company, Pledge, Source, PledgeEvent, Page):
        uid = f"tracker-content-{model.__name__}"
        post_save.connect(_bump_now_and_after_commit, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_bump_now_and_after_commit, sender=model, dispatch_uid=uid + "-del")
    m2m_changed.connect(
        _bump_now_and_after_commit,
        sender=PledgeEvent.sources.through,
        dispatch_uid="tracker-content-event-sources",
    )


def _not_modified(request, etag, last_modified):
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and since >= last_modified


def _validators(response, etag, last_modified):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Caches may keep it but must ask us each time: staff edits show at once.
    response["Cache-Control"] = "public, no-cache"
    return response


def public_page(view=None, *, store=True):
    """Give a GET view an ETag/Last-Modified, 304 answers and a shared page cache.

    Steps: read the content version (one cache round trip); answer 304 if the client
    already has it; else serve the stored copy of this exact URL for this version; else
    render, and store 200 responses. ``store=False`` keeps the 304s but skips storing
    (for large streamed exports).
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            state = content_version() if request.method in ("GET", "HEAD") else None
            if state is None:
                return view(request, *args, **kwargs)
            version, last_modified = state
            url_hash = hashlib.blake2b(request.get_full_path().encode(), digest_size=12)
            etag = quote_etag(f"{version}-{url_hash.hexdigest()}")
            if _not_modified(request, etag, last_modified):
                return _validators(HttpResponseNotModified(), etag, last_modified)
            key = f"tracker:page:{version}:{url_hash.hexdigest()}"
            cached = _safe(lambda: cache.get(key)) if store else None
            if cached is not None:
                content, headers = cached
                response = HttpResponse(content)
                for name, value in headers:
                    response[name] = value
                return _validators(response, etag, last_modified)
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if store and not response.streaming:
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                headers = [
                    (name, value)
                    for name, value in response.items()
                    if name.lower() in ("content-type", "content-disposition")
                ]
                _safe(lambda: cache.set(key, (response.content, headers), PAGE_TTL_SECONDS))
            return _validators(response, etag, last_modified)

        return wrapper

    return decorate(view) if view is not None else decorate


def memoise(name, compute):
    """``compute()``, shared across requests until the content version changes.

    For small facts many pages need (the company list, the range of years): one cache
    round trip instead of a query. Computed afresh when the cache is unavailable.
    """
    state = content_version()
    if state is None:
        return compute()
    key = f"tracker:memo:{state[0]}:{name}"
    missing = object()
    value = _safe(lambda: cache.get(key, missing), missing)
    if value is missing:
        value = compute()
        _safe(lambda: cache.set(key, value, PAGE_TTL_SECONDS))
    return value
