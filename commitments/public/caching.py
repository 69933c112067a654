"""Cheap repeats of public pages: the content version, ETags and a page cache.

Every public page depends on the same few tables, so instead of tracking what each
page shows, any committed change to them moves one number, the *content version*
(``commitments.models.content``: kept in the database and moved by triggers, so it is
the same in every process whoever wrote the change). The version, with today's date in
the tracker's zone (countdowns and "overdue" change at midnight), and the host the page
was built for, is both the ETag and part of the cache key: a change makes every old entry
unreachable at once, and a browser that already has the current version gets a 304
after one primary-key read.

Because the key comes from the database, a per-process cache (the default ``locmem``)
is harmless: each process keeps its own copies, and they all go stale together. A
shared cache (``CACHE_URL=redis://…``) only saves the rendering work more often.

The cache is an optimisation, never a dependency: if it is down, pages are rendered
as if nothing were cached.
"""

import contextvars
import functools
import hashlib
import logging

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from commitments.domain import calendar
from commitments.models import ContentVersion

logger = logging.getLogger(__name__)

# Entries of old versions are unreachable at once; this only bounds the memory they hold.
PAGE_TTL_SECONDS = 300


def _safe(operation, default=None):
    try:
        return operation()
    except Exception:  # any cache backend error; the page must still render
        logger.warning("cache unavailable", exc_info=True)
        return default


# The version a public view was answered under, so what it memoises while rendering is
# keyed the same way without reading the version again.
_request_version = contextvars.ContextVar("tracker_content_version", default=None)


def content_version():
    """(version, last_modified_epoch_seconds) as every process sees it right now."""
    known = _request_version.get()
    if known is not None:
        return known
    number, changed_ms = ContentVersion.current()
    today = calendar.today()
    midnight = calendar.start_of_day(today).timestamp()
    return f"{number}.{changed_ms}.{today.isoformat()}", max(changed_ms // 1000, int(midnight))


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
    """Give a GET view an ETag/Last-Modified, 304 answers and a page cache.

    Steps: read the content version (one primary-key read); answer 304 if the client
    already has it; else serve the stored copy of this exact URL and host for this
    version; else render, and store 200 responses. ``store=False`` keeps the 304s but
    skips storing (for large streamed exports).
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            state = content_version()
            token = _request_version.set(state)
            try:
                return _answer(request, state, store, lambda: view(request, *args, **kwargs))
            finally:
                _request_version.reset(token)

        return wrapper

    return decorate(view) if view is not None else decorate


def _answer(request, state, store, render):
    version, last_modified = state
    # The host too: absolute links (sitemaps, feeds) differ between allowed hosts.
    address = f"{request.get_host()}{request.get_full_path()}"
    url_hash = hashlib.blake2b(address.encode(), digest_size=12).hexdigest()
    etag = quote_etag(f"{version}-{url_hash}")
    if _not_modified(request, etag, last_modified):
        return _validators(HttpResponseNotModified(), etag, last_modified)
    key = f"tracker:page:{version}:{url_hash}"
    cached = _safe(lambda: cache.get(key)) if store else None
    if cached is not None:
        content, headers = cached
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        return _validators(response, etag, last_modified)
    response = render()
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


def memoise(name, compute):
    """``compute()``, shared across requests until the content version changes.

    For small facts many pages need (the company list, the range of years): one cache
    lookup instead of a query of its own. Computed afresh when the cache is unavailable.
    """
    return remember(f"tracker:memo:{content_version()[0]}:{name}", compute, PAGE_TTL_SECONDS)


def remember(key, compute, ttl):
    """``compute()`` kept under ``key`` for ``ttl`` seconds; the key must name all it
    depends on. Computed afresh when the cache is unavailable."""
    missing = object()
    value = _safe(lambda: cache.get(key, missing), missing)
    if value is missing:
        value = compute()
        _safe(lambda: cache.set(key, value, ttl))
    return value
