"""Backdated changes reconcile the public history: what they make untrue is withdrawn,
kept for the audit trail, and listed on the corrections page."""

import datetime as dt
import json
import re

import feedparser
import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError

from commitments.domain import reminders, workflow
from commitments.models import Pledge, PledgeEvent
from tests.factories import PledgeFactory, SourceFactory

DEADLINE = dt.date(2021, 6, 10)


@pytest.fixture
def swept(pledge):
    """The Amazon pledge after the sweep wrote "Deadline of 10 June 2021 passed"."""
    with time_machine.travel(dt.datetime(2021, 6, 12, tzinfo=dt.UTC)):
        reminders.sweep_pledges(dt.datetime.now(dt.UTC))
    assert pledge.events.filter(kind="deadline_passed").exists()
    pledge.refresh_from_db()
    return pledge


def extend_indefinitely(pledge, actor, effective_on=dt.date(2021, 5, 18)):
    return workflow.move_deadline(
        pledge,
        new_deadline=None,
        rationale="Extended until further notice.",
        source=SourceFactory(pledge=pledge, title="The Verge"),
        effective_on=effective_on,
        actor=actor,
    )


def test_an_extension_recorded_after_the_sweep_withdraws_the_deadline_passed(swept, superuser):
    move = extend_indefinitely(swept, superuser)
    passed = swept.events.get(kind="deadline_passed")
    assert passed.withdrawn_at is not None
    assert passed.withdrawn_by == move
    assert passed.withdrawn_reason == (
        "The deadline of 10 June 2021 was extended on 18 May 2021 with no end date, before it passed."
    )
    assert list(PledgeEvent.objects.public().filter(kind="deadline_passed")) == []


def test_an_extension_after_the_deadline_had_passed_keeps_the_lapse_on_record(swept, superuser):
    extend_indefinitely(swept, superuser, effective_on=dt.date(2021, 7, 1))
    assert swept.events.get(kind="deadline_passed").withdrawn_at is None


def test_a_final_verdict_in_time_withdraws_the_lapse_but_a_progress_note_does_not(swept, superuser):
    source = SourceFactory(pledge=swept)
    workflow.record_verdict(
        swept,
        status="in_progress",
        rationale="Work under way.",
        effective_on=dt.date(2021, 6, 1),
        actor=superuser,
    )
    assert swept.events.get(kind="deadline_passed").withdrawn_at is None
    workflow.record_verdict(
        swept,
        status="kept",
        rationale="Kept, as a report of 5 June 2021 shows.",
        sources=[source],
        effective_on=dt.date(2021, 6, 5),
        actor=superuser,
    )
    assert swept.events.get(kind="deadline_passed").withdrawn_at is not None


def test_the_pledge_page_tells_the_original_deadline_and_the_extension(client, swept, superuser):
    extend_indefinitely(swept, superuser)
    html = client.get(swept.get_absolute_url()).content.decode()
    assert "None stated" not in html
    assert "Original deadline" in html
    assert "10 June 2021</time> · extended on 18 May 2021 with no end date" in html
    assert "Extended with no end date" in html  # the status line
    history = html.split("<h2>History</h2>")[1].split("<h2")[0]
    assert "passed" not in history
    assert "Deadline of 10 June 2021 extended with no end date" in history


def test_every_list_says_a_lifted_deadline_was_extended_not_that_there_was_none(
    client, swept, superuser
):
    extend_indefinitely(swept, superuser)
    for url in ("/pledges/", swept.company.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Extended with no end date" in html, url
        assert "no deadline" not in html.lower(), url  # the company page's chart included


def test_the_timeline_feeds_and_api_agree_with_the_page(client, swept, superuser):
    extend_indefinitely(swept, superuser)
    assert "Deadline of 10 June 2021 passed" not in client.get("/").content.decode()
    for feed in ("/feed/", f"/pledges/{swept.slug}/feed/", "/companies/amazon/feed/"):
        titles = [e.title for e in feedparser.parse(client.get(feed).content).entries]
        assert not any("passed" in title for title in titles), feed
    kinds = [e["kind"] for e in client.get("/api/v1/events/").json()["data"]]
    assert "deadline_passed" not in kinds
    pledge_kinds = [
        e["kind"] for e in client.get(f"/api/v1/pledges/{swept.slug}/").json()["events"]
    ]
    assert "deadline_passed" not in pledge_kinds


def test_the_corrections_page_lists_what_was_withdrawn_when_and_why(client, swept, superuser):
    assert "No corrections so far" in client.get("/corrections/").content.decode()
    extend_indefinitely(swept, superuser)
    html = client.get("/corrections/").content.decode()
    assert "we withdrew “Deadline of 10 June 2021 passed”" in html
    assert "before it passed" in html
    assert "Extended until further notice." in html
    assert swept.get_absolute_url() in html


def test_corrections_on_drafts_stay_private(client, superuser):
    draft = PledgeFactory(is_published=False, title="Secret draft pledge")
    PledgeEvent.objects.create(
        pledge=draft, kind="deadline_passed", old_deadline=DEADLINE, occurred_on=DEADLINE
    )
    extend_indefinitely(draft, superuser)
    assert "Secret draft pledge" not in client.get("/corrections/").content.decode()


def test_reminders_and_the_queue_follow_the_corrected_state(swept, superuser):
    assert Pledge.objects.awaiting_verdict().filter(pk=swept.pk).exists()
    extend_indefinitely(swept, superuser)
    swept.refresh_from_db()
    assert swept.next_reminder_at is None
    assert not Pledge.objects.awaiting_verdict().filter(pk=swept.pk).exists()


# --- Empty states and dates that tell the truth ----------------------------------------------


def test_a_filtered_home_page_says_no_overdue_pledge_matches_not_that_nothing_is_overdue(
    client, pledge
):
    with time_machine.travel(dt.datetime(2021, 7, 1, 12, tzinfo=dt.UTC)):
        assert "Nothing is overdue" not in client.get("/").content.decode()
        html = client.get("/?category=donation").content.decode()
    assert "No overdue pledges match these filters." in html
    assert "Nothing is overdue" not in html


def test_the_deadline_calendar_says_what_it_covers(client, pledge):
    assert "deadlines from a year ago to two years ahead, the nearest 1,000" in (
        client.get("/").content.decode()
    )
    calendar = icalendar.Calendar.from_ical(client.get("/deadlines.ics").content)
    assert "from one year ago to two years ahead, at most 1,000" in str(calendar["X-WR-CALDESC"])


@pytest.mark.parametrize(
    "url", ["/", "/pledges/amazon-moratorium/", "/companies/amazon/", "/corrections/"]
)
def test_pages_write_every_date_one_way(client, swept, superuser, url):
    extend_indefinitely(swept, superuser)
    html = client.get(url).content.decode()
    visible = re.sub(r'datetime="[^"]*"', "", html)  # machine-readable attributes stay ISO
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", visible), url
    assert not re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", visible)


def test_a_deadline_moved_away_and_back_to_a_past_date_gets_its_lapse_again(swept, superuser):
    extend_indefinitely(swept, superuser)  # withdraws the lapse of 10 June 2021
    workflow.move_deadline(
        swept,
        new_deadline=DEADLINE,
        rationale="Back to the original date after all.",
        effective_on=dt.date(2021, 8, 1),
        actor=superuser,
    )
    with time_machine.travel(dt.datetime(2021, 8, 2, 12, tzinfo=dt.UTC)):
        reminders.sweep_pledges(dt.datetime.now(dt.UTC))
    lapses = swept.events.filter(kind="deadline_passed")
    assert [event.withdrawn_at is None for event in lapses.order_by("pk")] == [False, True]


def test_a_move_cannot_take_effect_before_one_already_recorded(swept, superuser):
    extend_indefinitely(swept, superuser, effective_on=dt.date(2021, 5, 18))
    with pytest.raises(ValidationError, match="already moved on 18 May 2021"):
        workflow.move_deadline(
            swept,
            new_deadline=dt.date(2022, 1, 1),
            rationale="An earlier move we heard of late.",
            effective_on=dt.date(2021, 5, 1),
            actor=superuser,
        )


def test_moving_a_later_deadline_leaves_the_lapse_of_an_earlier_one_alone(swept, superuser):
    workflow.move_deadline(
        swept,
        new_deadline=dt.date(2022, 1, 1),
        rationale="Extended after it lapsed.",
        effective_on=dt.date(2021, 7, 1),
        actor=superuser,
    )
    workflow.move_deadline(
        swept,
        new_deadline=None,
        rationale="Open-ended now.",
        effective_on=dt.date(2021, 7, 2),
        actor=superuser,
    )
    assert swept.events.get(kind="deadline_passed").withdrawn_at is None


def test_an_alert_queued_for_an_event_later_withdrawn_is_skipped_not_sent(swept, superuser):
    from django.core import mail

    from commitments.mail import delivery
    from commitments.models import Notification, Subscriber

    passed = swept.events.get(kind="deadline_passed")
    reader = Subscriber.objects.create(email="reader@example.org")
    row = Notification.objects.create(
        kind="alert",
        pledge=swept,
        event=passed,
        occurrence=f"event:{passed.pk}",
        recipient=reader.email,
        subscriber=reader,
    )
    extend_indefinitely(swept, superuser)
    delivery.send_batch([row.pk], claim_token="t")
    row.refresh_from_db()
    assert row.status == Notification.Status.SKIPPED
    assert "withdrawn" in row.last_error
    assert mail.outbox == []


def test_unknown_delivery_reads_as_unconfirmed_not_zero_in_every_format(client, company):
    donation = PledgeFactory(
        company=company,
        slug="amazon-donation",
        amount_pledged=10_000_000,
        currency="USD",
        category="donation",
    )
    record = client.get(f"/api/v1/pledges/{donation.slug}/").json()
    assert (record["amount_delivered"], record["amount_unconfirmed"]) == (None, "10000000.00")
    [row] = json.loads(b"".join(client.get("/pledges.json").streaming_content))["pledges"]
    assert (row["amount_delivered"], row["amount_unconfirmed"]) == (None, "10000000.00")
    csv_text = b"".join(client.get("/pledges.csv").streaming_content).decode()
    header, line = csv_text.splitlines()[:2]
    values = dict(zip(header.split(","), line.split(","), strict=False))
    assert values["amount_delivered"] == ""
    assert values["amount_unconfirmed"] == "10000000.00"


def test_followers_are_told_an_extension_corrects_the_lapse_they_heard_of(
    swept, superuser, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.alerts.conftest import follow
    from tracker.celery import app

    follow("reader@example.org")
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            extend_indefinitely(swept, superuser)
    finally:
        app.conf.task_always_eager = eager
    [alert] = mail.outbox
    assert "This corrects our earlier entry" in alert.body
    assert "Deadline of 10 June 2021 passed" in alert.body
    assert "https://tracker.example.org/corrections/" in alert.body
