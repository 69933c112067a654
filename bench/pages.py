"""Phase 1: SQL queries and server time per page, in-process through the real middleware stack.

``PAGES`` is the one table of what is measured. A URL is a template filled from
``targets()`` (the pledge with the most events, the company with the most pledges,
the deep page...). An entry whose URL is ``None`` or answers 404 is reported as
"not available" rather than stopping the run, so entries for pages another branch
is still building can sit here until they land.
"""

import itertools
import math
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commitments.models import Company, Pledge
from commitments.public import listing as timeline


@dataclass(frozen=True)
class Page:
    name: str
    url: str | None  # a str.format template over targets(); None = not wired yet
    staff: bool = False  # request as a logged-in superuser
    note: str = ""
    # Whole-table files: one request read to the end, timed and counted, not a median; plus
    # the median time to the first byte (``first_byte_ms``), what a reader waits for.
    single: bool = False
    # Text the page must show on PostgreSQL for its figure to count: that it measured what it
    # says (SQLite's fallback search corrects no misspelling).
    postgres_shows: str = ""


PAGES = [
    Page("timeline", "/"),
    # The keyset cursor of page 1000 at 50 events a page (the last page at small scales):
    # "the 50 events before this one", as the "Older" link writes it.
    Page("timeline_deep", "/?before={deep_cursor}"),
    Page("timeline_filtered", "/?category=donation&status=in_progress"),
    # Search: a word in one title in twelve, a word in none, and a misspelling.
    Page("search", "/?q=recognition"),
    Page("search_none", "/?q=zyxwvutsr"),
    Page(
        "search_typo",
        "/?q=recogniton",
        note="misspelt: finds recognition",
        postgres_shows="showing pledges with “recognition”",
    ),
    Page("pledge", "/pledges/{pledge_most_events}/"),
    Page("company", "/companies/{company_most_pledges}/"),
    Page("feed_atom", "/feed/"),
    Page("company_feed_atom", "/companies/{company_most_pledges}/feed/"),
    Page("pledge_feed_atom", "/pledges/{pledge_most_events}/feed/"),
    Page("feed_ical", "/deadlines.ics", single=True, note="prebuilt file: the nearest 1,000"),
    Page("company_feed_ical", "/companies/{company_most_pledges}/deadlines.ics"),
    Page("export_csv", "/pledges.csv", single=True, note="prebuilt file, every published pledge"),
    Page("export_json", "/pledges.json", single=True, note="prebuilt file, every published pledge"),
    Page("api_pledges", "/api/v1/pledges/"),
    Page("api_companies", "/api/v1/companies/"),
    Page("api_events", "/api/v1/events/"),
    Page("admin_pledges", "/{admin}commitments/pledge/", staff=True),
    Page("admin_awaiting", "/{admin}commitments/pledgeawaitingverdict/", staff=True),
    Page("admin_search", "/{admin}commitments/pledge/?q=recognition", staff=True),
]

DEEP_PAGE = 1000


def targets():
    """Values the URL templates use, chosen by query so they are the heaviest real cases."""
    published = Pledge.objects.published()
    total = published.count()
    events = timeline.public_events().order_by("-occurred_on", "-pk")
    n_events = events.count()
    deep_page = max(1, min(DEEP_PAGE, math.ceil(n_events / timeline.PAGE_SIZE)))
    # The last event of the page before: its cursor opens the deep page.
    offset = max((deep_page - 1) * timeline.PAGE_SIZE - 1, 0)
    deep = events.values("occurred_on", "pk")[offset : offset + 1].first()
    most_events = (
        published.annotate(n=Count("events")).order_by("-n", "pk").values("slug", "n").first()
    )
    most_pledges = (
        Company.objects.filter(pledges__is_published=True)
        .annotate(n=Count("pledges"))
        .order_by("-n", "pk")
        .values("slug", "n")
        .first()
    )
    return {
        "published": total,
        "events": n_events,
        "deep_page": deep_page,
        "deep_cursor": f"{deep['occurred_on'].isoformat()}.{deep['pk']}" if deep_page > 1 else "",
        "pledge_most_events": most_events["slug"],
        "pledge_most_events_n": most_events["n"],
        "company_most_pledges": most_pledges["slug"],
        "company_most_pledges_n": most_pledges["n"],
        "admin": settings.ADMIN_URL,
    }


def _clients():
    # Requests arrive from the proxy as HTTPS, as in production.
    anonymous = Client(raise_request_exception=False, HTTP_X_FORWARDED_PROTO="https")
    staff = Client(raise_request_exception=False, HTTP_X_FORWARDED_PROTO="https")
    # A staff member with every commitments permission, not a superuser: production asks
    # superusers for a second factor, which a benchmark cannot type.
    user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": False}
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="commitments"))
    staff.force_login(user)
    return anonymous, staff


def fresh(url, n):
    """``url`` made unique, so the public page cache misses and the page is really rendered.

    Unknown parameters are ignored by every public view; the admin refuses them, and
    has no page cache, so staff URLs are left as they are.
    """
    return f"{url}{'&' if '?' in url else '?'}bench={n}"


def _get(client, url):
    response = client.get(url)
    if response.streaming:
        # A streamed export does its work while it is read.
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return response, content


def _first_byte_ms(client, url):
    started = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        next(iter(response.streaming_content), b"")
    elapsed = (time.perf_counter() - started) * 1000
    response.close()
    return elapsed


def measure(runs, pages=PAGES):
    """Per page: status, bytes, queries (one captured request), median server time over ``runs``.

    Public pages are requested at a new URL each time (see ``fresh``): the figures are
    for a page-cache miss. Cached repeats are the throughput phase's ``timeline_cached``.

    The timed requests go in rounds, one request of every page a round, so a burst of
    other work on a shared machine slows every page a little rather than one page a lot:
    each page can then be read against the timeline of the same run.
    """
    values = targets()
    anonymous, staff = _clients()
    results = {}
    serial = itertools.count()
    timed = []  # (result, client, unique-URL function, timings) of the pages timed in rounds
    for page in pages:
        result = {"url": None, "status": None, "note": page.note}
        results[page.name] = result
        if page.url is None:
            result["note"] = f"not available: {page.note or 'no URL yet'}"
            continue
        url = page.url.format(**values)
        result["url"] = url
        client = staff if page.staff else anonymous

        def unique(url=url, page=page):
            return url if page.staff else fresh(url, next(serial))

        if page.single:
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response, content = _get(client, unique())
            elapsed = (time.perf_counter() - started) * 1000
            # Now: every request start empties the connection's query log.
            result["queries"] = len(queries)
        else:
            response, content = _get(client, unique())  # warm-up: templates, caches, connection
        result["status"] = response.status_code
        if response.status_code == 404:
            result["note"] = f"not available: {url} answers 404"
            continue
        if response.status_code != 200:
            result["note"] = f"error: {url} answers {response.status_code}"
            continue
        shows = page.postgres_shows if connection.vendor == "postgresql" else ""
        if shows not in content.decode(errors="replace"):
            result["note"] = f"error: {url} does not show {shows!r}"
            continue
        result["bytes"] = len(content)
        result["etag"] = response.get("ETag")
        if page.single:
            first = [_first_byte_ms(client, unique()) for _ in range(max(runs, 1))]
            result["first_byte_ms"] = round(statistics.median(first), 2)
            _record(result, [elapsed])
            continue
        with CaptureQueriesContext(connection) as queries:
            _get(client, unique())
        result["queries"] = len(queries)
        timed.append((result, client, unique, []))

    for _ in range(runs):
        for _result, client, unique, timings in timed:
            next_url = unique()
            started = time.perf_counter()
            _get(client, next_url)
            timings.append((time.perf_counter() - started) * 1000)
    for result, _client, _unique, timings in timed:
        _record(result, timings)
    return values, results


def _record(result, timings):
    result["p50_ms"] = round(statistics.median(timings), 2)
    result["min_ms"] = round(min(timings), 2)
    result["max_ms"] = round(max(timings), 2)
