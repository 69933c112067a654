"""The demo tells the real story as known today (../shared/seed/FACTS.md), with sources."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from commitments.domain import reminders
from commitments.models import Company, Disbursement, Pledge, PledgeEvent, Source

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
    payments = list(donation.disbursements.order_by("recipient"))
    assert len(payments) == 11
    confirmed = [p for p in payments if p.is_confirmed]
    assert [(p.recipient, p.amount, p.paid_on) for p in confirmed] == [
        ("Thurgood Marshall College Fund", 1_000_000, dt.date(2020, 6, 7)),
        ("UNCF", 1_000_000, dt.date(2020, 6, 7)),
    ]
    assert {p.source.publisher for p in confirmed} == {"Diverse: Issues In Higher Education"}
    assert all(p.amount is None and p.source is None for p in payments if not p.is_confirmed)
    # Each confirmation is a dated event in the history, cited to its source.
    events = donation.events.filter(kind="disbursement").order_by("pk")
    assert [e.headline for e in events] == [
        "$1M to Thurgood Marshall College Fund confirmed",
        "$1M to UNCF confirmed",
    ]
    assert all(e.occurred_on == dt.date(2020, 6, 7) for e in events)
    assert all(e.sources.get().published_on == dt.date(2020, 6, 7) for e in events)
    assert not donation.events.filter(kind="note").exists()


@pytest.mark.django_db
def test_the_donation_page_shows_the_recipients_and_never_zero_for_the_unconfirmed(client):
    call_command("load_demo")
    html = client.get(Pledge.objects.get(slug=DONATION).get_absolute_url()).content.decode()
    assert "<strong>USD 2,000,000</strong> (20.0%)" in html
    assert "<strong>USD 8,000,000</strong> announced, delivery not confirmed" in html
    assert html.count('class="payment-unconfirmed"') == 9
    assert html.count('class="payment-confirmed"') == 2
    assert "$1M to UNCF confirmed" in html
    assert "USD 0" not in html


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
    assert counts() == before == (2, 3, 6, 6)
    assert Disbursement.objects.count() == 11


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
def test_an_older_demo_donation_told_by_a_note_and_one_figure_becomes_the_two_payments():
    from commitments.domain import demo

    amazon = Company.objects.create(slug="amazon", name="Amazon")
    old = Pledge.objects.create(
        company=amazon,
        slug=DONATION,
        title="Donate $10 million to organisations working for social justice",
        success_criteria="USD 10 million confirmed paid.",
        announced_on=dt.date(2020, 6, 3),
        amount_pledged=10_000_000,
        currency="USD",
        is_published=True,
    )
    source = Source.objects.create(pledge=old, url="https://www.diverseeducation.com/", title="R")
    old.events.create(
        kind="note", occurred_on=dt.date(2020, 6, 7), rationale=demo.OLD_DONATION_NOTE
    )
    # What migration 0015 made of the old single "delivered" figure.
    Disbursement.objects.create(pledge=old, amount=2_000_000, currency="USD", source=source)

    call_command("load_demo")

    old = Pledge.objects.get(pk=old.pk)
    assert old.amount_delivered == 2_000_000
    assert old.disbursements.count() == 11
    assert not old.disbursements.filter(recipient="").exists()
    assert not old.events.filter(kind="note").exists()
    assert old.events.filter(kind="disbursement").count() == 2
    before = (counts(), Disbursement.objects.count())
    call_command("load_demo")
    assert (counts(), Disbursement.objects.count()) == before


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


@pytest.mark.django_db
def test_the_demo_invents_no_request_for_comment_and_no_reply(client):
    from commitments.models import CompanyContact, Reply, ReplyRequest

    call_command("load_demo")
    assert (CompanyContact.objects.count(), ReplyRequest.objects.count()) == (0, 0)
    assert not Reply.objects.exists()
    assert not PledgeEvent.objects.filter(kind__in=["company_reply", "no_reply"]).exists()
    assert "Right of reply" not in client.get(f"/pledges/{MORATORIUM}/").content.decode()
