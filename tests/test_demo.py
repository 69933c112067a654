"""The demo tells the real story as known today (../shared/seed/FACTS.md), with sources."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from commitments.domain import reminders
from commitments.models import Company, Pledge, PledgeEvent, Source

MORATORIUM = "amazon-rekognition-police-moratorium"
DONATION = "amazon-10-million-racial-justice-donation"


def counts():
    return tuple(m.objects.count() for m in (Company, Pledge, Source, PledgeEvent))


@pytest.mark.django_db
def test_the_moratorium_shows_its_extension_until_further_notice_and_no_verdict():
    call_command("load_demo")
    moratorium = Pledge.objects.get(slug=MORATORIUM)
    assert moratorium.deadline is None
    assert not moratorium.is_overdue
    [move] = moratorium.events.deadline_moves()
    assert (move.occurred_on, move.old_deadline, move.new_deadline) == (
        dt.date(2021, 5, 18),
        dt.date(2021, 6, 10),
        None,
    )
    assert [s.publisher for s in move.sources.all()] == ["The Verge"]
    assert set(Pledge.objects.values_list("status", flat=True)) == {Pledge.Status.NOT_YET_RATED}
    assert all(p.is_published and p.sources.exists() for p in Pledge.objects.all())


@pytest.mark.django_db
def test_the_donation_shows_two_million_confirmed_and_the_rest_unconfirmed_not_zero():
    call_command("load_demo")
    donation = Pledge.objects.get(slug=DONATION)
    assert (donation.amount_pledged, donation.amount_delivered) == (10_000_000, 2_000_000)
    assert donation.amount_unconfirmed == 8_000_000
    assert "Thurgood Marshall College Fund" in donation.summary
    assert "Year Up" in donation.summary
    [note] = donation.events.filter(kind="note")
    assert note.occurred_on == dt.date(2020, 6, 7)
    assert note.sources.get().published_on == dt.date(2020, 6, 7)


@pytest.mark.django_db
def test_nothing_is_due_on_first_start():
    call_command("load_demo")
    assert not Pledge.objects.filter(next_reminder_at__isnull=False).exists()
    assert reminders.sweep_pledges(dt.datetime.now(dt.UTC)).checked == 0


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    before = counts()
    call_command("load_demo")
    assert counts() == before == (2, 3, 6, 5)


@pytest.mark.django_db
def test_an_older_demo_database_is_brought_up_to_date_with_a_correction():
    # What the first demo loaded: the moratorium as announced, no money confirmed...
    amazon = Company.objects.create(slug="amazon", name="Amazon")
    old = Pledge.objects.create(
        company=amazon,
        slug=MORATORIUM,
        title="One-year moratorium on police use of Rekognition facial recognition",
        success_criteria="No police use for a year.",
        announced_on=dt.date(2020, 6, 10),
        deadline=dt.date(2021, 6, 10),
        is_published=True,
    )
    # ...and, once it ran, the sweep's "deadline passed".
    with time_machine.travel(dt.datetime(2021, 6, 12, tzinfo=dt.UTC)):
        reminders.sweep_pledges(dt.datetime.now(dt.UTC))
    passed = old.events.get(kind="deadline_passed")

    call_command("load_demo")

    old.refresh_from_db()
    passed.refresh_from_db()
    assert old.deadline is None
    assert passed.withdrawn_at is not None
    assert "before it passed" in passed.withdrawn_reason
    assert old.events.public().filter(kind="deadline_passed").count() == 0
    assert Pledge.objects.get(slug=DONATION).amount_delivered == 2_000_000
    before = counts()
    call_command("load_demo")
    assert counts() == before


@pytest.mark.django_db
def test_loading_the_demo_into_a_database_with_followers_mails_nobody(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from tests.alerts.conftest import follow
    from tracker.celery import app

    follow("reader@example.org")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("load_demo")
    finally:
        app.conf.task_always_eager = eager
    assert mail.outbox == []
    assert (
        not PledgeEvent.objects.filter(alerts_queued_at__isnull=True)
        .exclude(kind__in=["announced", "note"])
        .exists()
    )
