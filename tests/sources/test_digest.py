"""One weekly email tells staff which sources turned broken, with their pledges."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from commitments.domain import linkcheck
from commitments.mail import delivery
from commitments.models import Notification, Source
from tests.factories import PledgeFactory, SourceFactory, UserFactory

# Monday 9 March 2026, 09:00 in Los Angeles (PDT): after the 08:00 digest moment.
MONDAY = dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.UTC)
DIGEST_AT = dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db):
    return [
        UserFactory(username="rita", email="rita@example.org", groups=["Reviewers"]),
        UserFactory(username="edna", email="edna@example.org", groups=["Editors"]),
    ]


def broken(pledge, title, since, error="HTTP 404"):
    source = SourceFactory(pledge=pledge, title=title)
    Source.objects.filter(pk=source.pk).update(
        broken_since=since,
        first_failed_at=since - dt.timedelta(days=8),
        last_error=error,
    )
    return source


def test_the_weeks_newly_broken_sources_go_in_one_email_per_person(staff, pledge):
    other = PledgeFactory(title="Net zero by 2040")
    broken(pledge, "Deleted press release", DIGEST_AT - dt.timedelta(days=2))
    broken(other, "Moved climate report", DIGEST_AT - dt.timedelta(days=6), "Timed out.")
    broken(pledge, "Broken last month", DIGEST_AT - dt.timedelta(days=30))
    SourceFactory(pledge=pledge, title="Still fine")

    with time_machine.travel(MONDAY, tick=False):
        ids = linkcheck.write_broken_sources_digest()
        assert linkcheck.write_broken_sources_digest() == []  # once a week, however often run
        delivery.send_batch(ids)

    assert sorted(message.to[0] for message in mail.outbox) == [
        "edna@example.org",
        "rita@example.org",
    ]
    message = mail.outbox[0]
    assert message.subject == "2 sources stopped working this week"
    body = message.body
    assert "One-year moratorium on police use of Rekognition (Amazon)" in body
    assert "Deleted press release" in body
    assert "Net zero by 2040" in body
    assert "Timed out., failing since" in body
    assert "Broken last month" not in body
    assert "Still fine" not in body
    assert "/admin/commitments/source/?link=broken" in body
    html = message.alternatives[0][0]
    assert "Deleted press release" in html


def test_no_email_in_a_week_when_nothing_broke(staff, pledge):
    broken(pledge, "Broken last month", DIGEST_AT - dt.timedelta(days=30))

    with time_machine.travel(MONDAY, tick=False):
        assert linkcheck.write_broken_sources_digest() == []
    assert Notification.objects.count() == 0


def test_a_source_that_works_again_before_the_email_leaves_is_left_out(staff, pledge):
    source = broken(pledge, "Back online", DIGEST_AT - dt.timedelta(days=2))

    with time_machine.travel(MONDAY, tick=False):
        ids = linkcheck.write_broken_sources_digest()
        Source.objects.filter(pk=source.pk).update(broken_since=None, first_failed_at=None)
        delivery.send_batch(ids)

    assert mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) == {"skipped"}


def test_without_editors_or_reviewers_the_staff_list_hears(settings, pledge):
    settings.TRACKER_STAFF_EMAILS = ["advocacy@example.org"]
    broken(pledge, "Deleted press release", DIGEST_AT - dt.timedelta(days=2))

    with time_machine.travel(MONDAY, tick=False):
        ids = linkcheck.write_broken_sources_digest()

    assert list(Notification.objects.filter(pk__in=ids).values_list("recipient", flat=True)) == [
        "advocacy@example.org"
    ]


def test_the_digest_moment_is_monday_at_the_digest_hour_in_the_tracker_zone(settings):
    assert linkcheck.digest_moment(MONDAY) == DIGEST_AT
    # The Monday before was in winter time (PST): 08:00 there is 16:00 UTC.
    assert linkcheck.digest_moment(DIGEST_AT - dt.timedelta(minutes=1)) == dt.datetime(
        2026, 3, 2, 16, 0, tzinfo=dt.UTC
    )
