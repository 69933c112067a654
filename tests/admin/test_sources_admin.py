"""Staff see which sources are broken: a filter, a count on the index, the reason."""

import datetime as dt

from django.utils import timezone

from commitments.models import Source
from tests.factories import SourceFactory


def _broken(pledge, title):
    source = SourceFactory(pledge=pledge, title=title)
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(
        first_failed_at=now - dt.timedelta(days=9),
        broken_since=now - dt.timedelta(days=1),
        last_status=404,
        last_error="HTTP 404",
        last_checked_at=now,
    )
    return source


def test_the_admin_index_counts_broken_sources_and_links_to_them(reviewer_client, pledge):
    _broken(pledge, "Deleted press release")
    _broken(pledge, "Moved news story")
    SourceFactory(pledge=pledge, title="Still there")

    page = reviewer_client.get("/admin/").content.decode()

    assert '<span class="count">2</span> sources have not worked for more than 7 days' in page
    assert "/admin/commitments/source/?link=broken" in page


def test_the_broken_sources_filter_lists_only_broken_ones_with_the_reason(reviewer_client, pledge):
    _broken(pledge, "Deleted press release")
    failing = SourceFactory(pledge=pledge, title="Down since this morning")
    Source.objects.filter(pk=failing.pk).update(
        first_failed_at=timezone.now(), last_error="Timed out (ReadTimeout)."
    )
    SourceFactory(pledge=pledge, title="Still there")

    page = reviewer_client.get("/admin/commitments/source/?link=broken").content.decode()

    assert "Deleted press release" in page
    assert "Down since this morning" not in page
    assert "Still there" not in page
    assert "Broken sources" in page
    assert ">broken</span> since" in page

    failing_page = reviewer_client.get("/admin/commitments/source/?link=failing").content.decode()
    assert "Down since this morning" in failing_page
    assert "Timed out (ReadTimeout)." in failing_page


def test_the_source_page_shows_what_the_checker_found(reviewer_client, pledge):
    source = _broken(pledge, "Deleted press release")

    page = reviewer_client.get(f"/admin/commitments/source/{source.pk}/change/").content.decode()

    assert "Link check" in page
    assert "HTTP 404" in page
