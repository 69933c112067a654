"""Staff see which sources are broken: a filter, a count on the index, the reason."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commitments.domain import calendar, tasks
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


def test_a_site_that_rate_limited_the_check_reads_as_not_known_not_as_working(
    reviewer_client, pledge
):
    asked_to_wait = SourceFactory(pledge=pledge, title="Busy newsroom")
    Source.objects.filter(pk=asked_to_wait.pk).update(
        last_checked_at=timezone.now(),
        last_status=429,
        last_error="Rate limited by the site (429): asked to wait 3600 s.",
    )

    page = reviewer_client.get("/admin/commitments/source/").content.decode()

    assert (
        '<td class="field-link_status"><span class="tracker-badge">not known</span> Rate limited '
        "by the site (429): asked to wait 3600 s. Not seen working yet.</td>" in page
    )

    Source.objects.filter(pk=asked_to_wait.pk).update(last_ok_at=timezone.now())
    page = reviewer_client.get("/admin/commitments/source/").content.decode()
    assert "asked to wait 3600 s. Last seen working " in page


def test_the_source_page_shows_what_the_checker_found(reviewer_client, pledge):
    source = _broken(pledge, "Deleted press release")

    page = reviewer_client.get(f"/admin/commitments/source/{source.pk}/change/").content.decode()

    assert "Link check" in page
    assert "HTTP 404" in page


# --- Archiving from the admin -------------------------------------------------------------


@pytest.fixture
def queued(settings, monkeypatch):
    """The archive tasks handed to the broker, by source id (archiving switched on)."""
    settings.TRACKER_ARCHIVE_URL = "https://web.archive.org/save"
    sent = []
    monkeypatch.setattr(tasks.archive_source, "delay", sent.append)
    return sent


def test_a_source_cited_in_a_verdict_is_sent_to_the_archive_after_commit(
    reviewer_client, pledge, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
            {
                "version": 1,
                "status": "kept",
                "rationale": "Kept, per the report.",
                "effective_on": calendar.today().isoformat(),
                "new_source_url": "https://news.example.com/report",
                "new_source_title": "Report",
            },
        )

    assert queued == [Source.objects.get(url="https://news.example.com/report").pk]


def test_a_source_added_in_the_admin_is_sent_to_the_archive(
    superuser_client, pledge, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:commitments_source_add"),
            {"pledge": pledge.pk, "url": "https://news.example.com/new", "title": "New"},
        )
    assert response.status_code == 302
    assert queued == [Source.objects.get(title="New").pk]


def test_a_broker_outage_never_blocks_staff(
    superuser_client, pledge, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRACKER_ARCHIVE_URL = "https://web.archive.org/save"

    def broker_down(source_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.archive_source, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:commitments_source_add"),
            {"pledge": pledge.pk, "url": "https://news.example.com/new", "title": "New"},
        )
    assert response.status_code == 302
    # Still due: the minute sweep will archive it.
    assert Source.objects.get(title="New").archive_due_at is not None


def test_archive_now_queues_a_snapshot_but_keeps_a_typed_copy(
    superuser_client, pledge, queued, django_capture_on_commit_callbacks
):
    failed = SourceFactory(pledge=pledge, title="Failed before")
    Source.objects.filter(pk=failed.pk).update(
        archive_due_at=None, archive_attempts=10, archive_error="The archive answered HTTP 502."
    )
    typed = SourceFactory(pledge=pledge, title="Typed", archive_url="https://archive.ph/x")

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:commitments_source_changelist"),
            {"action": "archive_now", "_selected_action": [failed.pk, typed.pk]},
            follow=True,
        )

    page = response.content.decode()
    assert "Asked the archive for 1 snapshot. 1 with an archived copy typed by staff kept" in page
    assert queued == [failed.pk]
    assert Source.objects.get(pk=failed.pk).archive_attempts == 0
    assert Source.objects.get(pk=typed.pk).archive_url == "https://archive.ph/x"


def test_a_failed_archive_shows_in_the_source_list(reviewer_client, pledge):
    failed = SourceFactory(pledge=pledge, title="Failed before")
    Source.objects.filter(pk=failed.pk).update(
        archive_due_at=None, archive_error="The archive answered HTTP 502."
    )

    page = reviewer_client.get("/admin/commitments/source/?archive=failed").content.decode()

    assert "failed: The archive answered HTTP 502." in page


def test_a_source_added_on_the_pledge_page_is_sent_to_the_archive(
    editor_client, pledge, queued, django_capture_on_commit_callbacks
):
    from tests.admin.test_audit import change_form_data

    data = change_form_data(
        pledge,
        **{
            "sources-TOTAL_FORMS": 1,
            "sources-0-url": "https://news.example.com/inline",
            "sources-0-title": "Added inline",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:commitments_pledge_change", args=[pledge.pk]), data
        )

    assert response.status_code == 302, response.context["errors"]
    assert queued == [Source.objects.get(title="Added inline").pk]
