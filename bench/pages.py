"""Phase 1: SQL queries and server time per page, in-process through the real middleware stack.

``PAGES`` is the one table of what is measured. A URL is a template filled from
``targets()`` (the pledge with the most events, the company with the most pledges,
the deep page...). An entry whose URL is ``None`` or answers 404 is reported as
"not available" rather than stopping the run, so entries for pages another branch
is still building can sit here until they land.
"""

import math
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commitments.models import Company, Pledge


@dataclass(frozen=True)
class Page:
    name: str
    url: str | None  # a str.format template over targets(); None = not wired yet
    staff: bool = False  # request as a logged-in superuser
    note: str = ""


PAGES = [
    Page("timeline", "/"),
    # Page 1000 at 50 a page (clamped to the last page at small scales). When the keyset
    # timeline lands (issue 4), point this at the cursor URL for the same position, e.g.
    # "/?before={deep_announced_on}.{deep_id}", in whatever format the view reads.
    Page("timeline_deep", "/?page={deep_page}"),
    Page(
        "timeline_filtered", "/?category=donation", note="main ignores the filter; issue 4 adds it"
    ),
    Page("pledge", "/pledges/{pledge_most_events}/"),
    Page("company", "/companies/{company_most_pledges}/"),
    Page("admin_pledges", "/{admin}commitments/pledge/", staff=True),
    # --- Filled in at merge: set the URL, nothing else changes. -----------------------
    Page("feed_atom", None, note="issue 4: site-wide Atom feed"),
    Page("feed_ical", None, note="issue 4: iCal feed of deadlines"),
    Page("company_feed_atom", None, note="issue 4: per-company Atom feed"),
    Page("export_csv", None, note="issue 4: CSV export"),
    Page("export_json", None, note="issue 4: JSON export"),
    Page("api_pledges", None, note="issue 4: JSON API list"),
    Page("admin_awaiting", None, staff=True, note="issue 3: awaiting-verdict queue"),
]

TIMELINE_PAGE_SIZE = 50
DEEP_PAGE = 1000


def targets():
    """Values the URL templates use, chosen by query so they are the heaviest real cases."""
    published = Pledge.objects.published()
    total = published.count()
    deep_page = max(1, min(DEEP_PAGE, math.ceil(total / TIMELINE_PAGE_SIZE)))
    deep = (
        published.order_by("-announced_on", "-pk")
        .values("announced_on", "pk")[(deep_page - 1) * TIMELINE_PAGE_SIZE :][:1]
        .first()
    ) or {"announced_on": None, "pk": None}
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
        "deep_page": deep_page,
        "deep_announced_on": deep["announced_on"],
        "deep_id": deep["pk"],
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
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    staff.force_login(user)
    return anonymous, staff


def measure(runs, pages=PAGES):
    """Per page: status, bytes, queries (one captured request), median server time over ``runs``."""
    values = targets()
    anonymous, staff = _clients()
    results = {}
    for page in pages:
        result = {"url": None, "status": None, "note": page.note}
        results[page.name] = result
        if page.url is None:
            result["note"] = f"not available: {page.note or 'no URL yet'}"
            continue
        url = page.url.format(**values)
        result["url"] = url
        client = staff if page.staff else anonymous
        response = client.get(url)  # warm-up: templates, caches, connection
        result["status"] = response.status_code
        if response.status_code == 404:
            result["note"] = f"not available: {url} answers 404"
            continue
        if response.status_code >= 400:
            result["note"] = f"error: {url} answers {response.status_code}"
            continue
        result["bytes"] = len(response.content)
        result["etag"] = response.get("ETag")
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        result["queries"] = len(queries)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        result["p50_ms"] = round(statistics.median(timings), 2)
        result["min_ms"] = round(min(timings), 2)
        result["max_ms"] = round(max(timings), 2)
    return values, results
