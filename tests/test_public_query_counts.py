"""Every public page, feed and export costs the same number of queries at any size."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.public import exports
from tests.bulk import populate

URLS = [
    "/",
    "/?status=kept",
    "/?company=firm-00000&category=donation",
    "/?q=bulk&year=2018",  # a year with matches at both sizes: none would save a query
    "/?before=2019-06-01.40",
    "/?after=2019-06-01.40",
    "/pledges/",
    "/pledges/?status=kept&sort=deadline",
    "/pledges/?deadline=overdue&company=firm-00000&page=2",
    "/pledges/?sort=company&q=bulk&category=donation",
    "/pledges/bulk-0/",
    "/pledges/bulk-0/feed/",
    "/pledges/bulk-0/og.png",
    "/pledges/bulk-0/deadline.ics",
    "/companies/",
    "/companies/firm-00000/",
    "/companies/firm-00000/?after=2030-01-01.99999",
    "/?q=firm",
    "/companies/firm-00000/feed/",
    "/companies/firm-00000/deadlines.ics",
    "/feed/",
    "/deadlines.ics",
    "/pledges.csv",
    "/pledges.json?status=broken",
    "/methodology/",
    "/api/v1/pledges/",
    "/api/v1/pledges/bulk-0/",
    "/api/v1/companies/",
    "/api/v1/companies/firm-00000/",
    "/api/v1/events/",
    "/api/v1/openapi.json",
    "/api/",
    "/datapackage.json",
    "/sitemap.xml",
    "/sitemap-pledges.xml",
    "/sitemap-companies.xml",
]

WHOLE_TABLE = ["/pledges.csv", "/pledges.json", "/deadlines.ics"]


def count_queries(client, url):
    cache.clear()  # measure rendering, not the page cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_number_of_pledges(client):
    # Company firm-00000 holds 1 pledge of 5 at first, 5 of 500 after; the pledge page
    # and feeds always see the same shape of data: only the volume changes.
    populate(5, companies=5)
    small = {url: count_queries(client, url) for url in URLS}
    populate(495, companies=100)
    large = {url: count_queries(client, url) for url in URLS}
    assert large == small
    # The pages that matter most stay cheap in absolute terms too (one query of each is
    # the content version, read from the database so every process agrees on it). The
    # home page's meter is one of them on a cold cache, none once memoised.
    assert small["/"] <= 8
    assert small["/pledges/"] <= 5
    assert small["/companies/"] <= 3
    assert small["/pledges/bulk-0/"] <= 5
    print({url: small[url] for url in URLS})


@pytest.mark.django_db
def test_the_prebuilt_whole_table_files_are_served_without_a_query(client):
    # Built by the task (public/exports.py): serving them reads a file, not the database.
    for n in (5, 495):
        populate(n, companies=5)
        exports.build_all()
        counts = {url: count_queries(client, url) for url in WHOLE_TABLE}
        assert counts == dict.fromkeys(WHOLE_TABLE, 0)
