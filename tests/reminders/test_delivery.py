"""Sending the reminders: once per row, retried when SMTP hiccups, recovered when lost."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from commitments.domain import workflow
from commitments.mail import delivery
from commitments.mail.tasks import send_notifications
from commitments.models import Notification, Pledge
from tests.factories import SourceFactory
from tests.reminders.conftest import (
    DISCONNECTED,
    GREYLISTED,
    REFUSED,
    TRY_LATER,
    ScriptedBackend,
    la,
)

pytestmark = pytest.mark.django_db

PASSED_AT = la(2021, 6, 11, 0, 0)


@pytest.fixture
def due_pledge(pledge, staff_emails):
    """The Amazon moratorium, its deadline (10 June 2021) just passed."""
    return pledge


def sweep(moment, capture):
    """One sweep at ``moment``, its transaction committed: returns the batches queued."""
    from commitments.domain import reminders

    with time_machine.travel(moment, tick=False), capture(execute=True):
        reminders.sweep_deadlines()


@pytest.fixture
def recover(django_capture_on_commit_callbacks):
    """The sweep's recovery step at a given moment, its transaction committed."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return delivery.recover(now)

    return run


def send_all(queued, moment=PASSED_AT):
    batches, queued[:] = list(queued), []
    with time_machine.travel(moment, tick=False):
        for batch in batches:
            send_notifications(batch)


class TestSending:
    def test_the_passed_reminder_arrives_with_text_html_and_a_link_to_rule(
        self, due_pledge, queued, django_capture_on_commit_callbacks
    ):
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert len(queued) == 1
        send_all(queued)

        [email] = mail.outbox
        assert email.subject == (
            "Deadline passed: Amazon — One-year moratorium on police use of Rekognition"
        )
        assert email.to == ["advocacy@example.org"]
        row = Notification.objects.get()
        assert (
            email.extra_headers["Message-ID"]
            == f"<notification-{row.pk}.passed@tracker.example.org>"
        )
        assert email.extra_headers["Auto-Submitted"] == "auto-generated"
        admin_link = "https://tracker.example.org" + reverse(
            "admin:commitments_pledge_record_verdict", args=[due_pledge.pk]
        )
        assert "passed at the end of 10 June 2021; record a verdict" in email.body
        assert admin_link in email.body
        assert "https://tracker.example.org/pledges/amazon-moratorium/" in email.body
        [(html, mimetype)] = email.alternatives
        assert mimetype == "text/html"
        assert f'<a href="{admin_link}">Record the verdict</a>' in html
        assert (row.status, row.attempts, row.sent_at) == ("sent", 1, PASSED_AT)

    def test_upcoming_and_overdue_subjects_say_when(self, due_pledge, queued, settings):
        row = Notification.objects.create(
            pledge=due_pledge, kind="upcoming", occurrence="2021-06-10/7d", recipient="a@x.org"
        )
        late = Notification.objects.create(
            pledge=due_pledge,
            kind="overdue",
            occurrence="2021-06-10@2021-06-18",
            recipient="a@x.org",
        )
        with time_machine.travel(la(2021, 6, 3, 0, 0), tick=False):
            delivery.send_batch([row.pk])
        with time_machine.travel(la(2021, 6, 18, 0, 0), tick=False):
            delivery.send_batch([late.pk])
        assert [m.subject for m in mail.outbox] == [
            "Deadline in 7 days: Amazon — One-year moratorium on police use of Rekognition",
            "Still awaiting a verdict, 8 days after the deadline: "
            "Amazon — One-year moratorium on police use of Rekognition",
        ]

    def test_a_send_task_delivered_twice_sends_one_email(
        self, due_pledge, queued, django_capture_on_commit_callbacks
    ):
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        [batch] = queued
        with time_machine.travel(PASSED_AT, tick=False):
            send_notifications(batch)
            send_notifications(batch)
        assert len(mail.outbox) == 1

    def test_one_smtp_connection_serves_the_whole_batch(self, company, smtp_script, queued):
        rows = [
            Notification.objects.create(kind="passed", occurrence=f"x{n}", recipient="a@x.org")
            for n in range(3)
        ]
        for row in rows:
            row.pledge = Pledge.objects.create(
                company=company,
                title=f"Pledge {row.pk}",
                success_criteria="Done.",
                announced_on=dt.date(2020, 1, 1),
                deadline=dt.date(2021, 6, 10),
                is_published=True,
            )
            row.occurrence = "2021-06-10"
            row.save()
        with time_machine.travel(PASSED_AT, tick=False):
            outcome = delivery.send_batch([row.pk for row in rows])
        assert set(outcome.values()) == {"sent"}
        assert len(mail.outbox) == 3
        assert ScriptedBackend.opened == 1

    def test_a_reminder_made_stale_by_a_verdict_is_skipped_not_sent(self, due_pledge, queued):
        row = Notification.objects.create(
            pledge=due_pledge,
            kind="overdue",
            occurrence="2021-06-10@2021-06-18",
            recipient="a@x.org",
        )
        workflow.record_verdict(
            due_pledge,
            status=Pledge.Status.BROKEN,
            rationale="Police use continued.",
            sources=[SourceFactory(pledge=due_pledge)],
            actor=None,
        )
        assert delivery.send_batch([row.pk]) == {row.pk: "skipped"}
        row.refresh_from_db()
        assert (row.status, row.last_error) == ("skipped", "A verdict was recorded (Broken).")
        assert mail.outbox == []

    def test_a_reminder_for_a_moved_deadline_is_skipped(self, due_pledge, queued):
        row = Notification.objects.create(
            pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient="a@x.org"
        )
        workflow.move_deadline(
            due_pledge, new_deadline=dt.date(2031, 1, 1), rationale="Extended.", actor=None
        )
        assert delivery.send_batch([row.pk]) == {row.pk: "skipped"}
        assert mail.outbox == []


@pytest.fixture
def row(due_pledge):
    return Notification.objects.create(
        pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient="a@x.org"
    )


class TestFailures:
    def test_a_refused_recipient_fails_at_once(self, row, smtp_script):
        smtp_script.append(REFUSED)
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {row.pk: "failed"}
        row.refresh_from_db()
        assert row.status == "failed"
        assert row.attempts == 1
        assert "SMTPRecipientsRefused" in row.last_error
        assert "No such user" in row.last_error

    def test_a_transient_error_backs_off_exponentially_with_jitter(
        self, row, smtp_script, settings
    ):
        settings.TRACKER_EMAIL_RETRY_SECONDS = 100
        waits = []
        for attempt in (1, 2, 3):
            smtp_script.append(TRY_LATER)
            now = row.retry_after or PASSED_AT
            with time_machine.travel(now, tick=False):
                assert delivery.send_batch([row.pk]) == {row.pk: "retry"}
            row.refresh_from_db()
            assert (row.status, row.attempts, row.queued_at) == ("pending", attempt, None)
            waits.append((row.retry_after - now).total_seconds())
        assert 50 <= waits[0] <= 150
        assert 100 <= waits[1] <= 300
        assert 200 <= waits[2] <= 600
        assert "SMTPDataError" in row.last_error

    def test_it_is_not_retried_before_its_backoff_is_over(self, row, smtp_script, queued, recover):
        smtp_script.append(TRY_LATER)
        delivery.send_batch([row.pk], now=PASSED_AT)
        row.refresh_from_db()
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {}
        assert recover(row.retry_after - dt.timedelta(seconds=1)) == 0
        assert recover(row.retry_after) == 1
        assert queued == [[row.pk]]

    def test_an_outage_of_a_day_is_retried_all_day_and_then_delivered(self, row, smtp_script):
        failed_at = PASSED_AT
        for _ in range(60):  # more than a day of retries, hourly (±50%) once capped
            smtp_script.append(DISCONNECTED)
            with time_machine.travel(failed_at, tick=False):
                assert delivery.send_batch([row.pk]) == {row.pk: "retry"}
            row.refresh_from_db()
            assert row.status == "pending"
            assert row.retry_after - failed_at <= dt.timedelta(hours=1.5)
            failed_at = row.retry_after
        assert failed_at - PASSED_AT > dt.timedelta(hours=24)
        with time_machine.travel(failed_at, tick=False):
            assert delivery.send_batch([row.pk]) == {row.pk: "sent"}
        assert len(mail.outbox) == 1

    def test_past_the_retry_lifetime_it_is_marked_failed(self, row, smtp_script, settings):
        assert settings.TRACKER_EMAIL_RETRY_LIFETIME_HOURS == 72
        Notification.objects.filter(pk=row.pk).update(
            attempts=80, failing_since=PASSED_AT - dt.timedelta(hours=72)
        )
        smtp_script.append(TRY_LATER)
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {row.pk: "failed"}
        row.refresh_from_db()
        assert row.status == "failed"
        assert row.last_error.startswith(
            "Gave up after 81 attempts in 72 hours. SMTPDataError: 451"
        )

    def test_the_backoff_counts_from_the_failure_not_from_the_start_of_the_batch(
        self, due_pledge, smtp_script, settings
    ):
        settings.TRACKER_EMAIL_RETRY_SECONDS = 60
        rows = [
            Notification.objects.create(
                pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@x.org"
            )
            for n in range(2)
        ]
        with time_machine.travel(PASSED_AT, tick=False) as clock:
            # The first message takes 10 minutes (a slow server); the second is refused.
            smtp_script.extend([lambda: clock.shift(600), TRY_LATER])
            delivery.send_batch([r.pk for r in rows])
        refused = Notification.objects.get(pk=rows[1].pk)
        failed_at = PASSED_AT + dt.timedelta(minutes=10)
        assert failed_at + dt.timedelta(seconds=30) <= refused.retry_after
        assert refused.retry_after <= failed_at + dt.timedelta(seconds=90)
        assert refused.failing_since == failed_at

    def test_a_greylisted_recipient_is_retried_not_failed(self, row, smtp_script):
        smtp_script.append(GREYLISTED)
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {row.pk: "retry"}
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == (
            "SMTPRecipientsRefused: x@example.org: 451 4.7.1 Greylisted, try again later"
        )

    def test_a_421_opens_a_new_session_for_the_rest_of_the_batch(self, due_pledge, smtp_script):
        rows = [
            Notification.objects.create(
                pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@x.org"
            )
            for n in range(3)
        ]
        smtp_script.extend([None, smtplib.SMTPDataError(421, b"4.4.2 Closing connection")])
        outcome = delivery.send_batch([r.pk for r in rows], now=PASSED_AT)
        assert [outcome[r.pk] for r in rows] == ["sent", "retry", "sent"]
        assert ScriptedBackend.opened == 2

    def test_a_lost_connection_sends_back_the_rest_of_the_batch(
        self, due_pledge, smtp_script, company
    ):
        rows = [
            Notification.objects.create(
                pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@x.org"
            )
            for n in range(3)
        ]
        smtp_script.extend([None, DISCONNECTED])
        outcome = delivery.send_batch([r.pk for r in rows], now=PASSED_AT)
        assert [outcome[r.pk] for r in rows] == ["sent", "retry", "retry"]
        assert [m.to for m in mail.outbox] == [["0@x.org"]]
        # What the server accepted is recorded before the batch gives up, never re-sent.
        statuses = Notification.objects.order_by("pk").values_list("status", flat=True)
        assert list(statuses) == ["sent", "pending", "pending"]

    def test_a_message_that_cannot_be_built_fails_without_stopping_the_batch(self, due_pledge, row):
        odd = Notification.objects.create(
            pledge=due_pledge, kind="mystery", occurrence="?", recipient="b@x.org"
        )
        outcome = delivery.send_batch([odd.pk, row.pk], now=PASSED_AT)
        assert outcome == {odd.pk: "failed", row.pk: "sent"}
        odd.refresh_from_db()
        assert "No email builder" in odd.last_error


class TestQueueing:
    def test_a_rollback_after_scheduling_enqueues_nothing(
        self, due_pledge, queued, django_capture_on_commit_callbacks
    ):
        from commitments.domain import reminders

        class Abort(Exception):
            pass

        def sweep_then_fail():
            with transaction.atomic():
                reminders.sweep_deadlines()
                assert Notification.objects.count() == 1
                raise Abort

        with (
            time_machine.travel(PASSED_AT, tick=False),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(Abort),
        ):
            sweep_then_fail()
        assert callbacks == []
        assert queued == []
        assert Notification.objects.count() == 0

    def test_a_broker_failure_after_commit_is_recovered_by_a_later_sweep(
        self, due_pledge, queued, monkeypatch, django_capture_on_commit_callbacks, caplog
    ):
        def broker_down(ids):
            raise ConnectionError("broker unreachable")

        monkeypatch.setattr(send_notifications, "delay", broker_down)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)  # does not raise
        assert "the next sweep re-queues them" in caplog.text
        row = Notification.objects.get()
        assert (row.status, row.queued_at) == ("pending", PASSED_AT)

        monkeypatch.setattr(send_notifications, "delay", lambda ids: queued.append(list(ids)))
        sweep(PASSED_AT + dt.timedelta(minutes=1), django_capture_on_commit_callbacks)
        assert queued == []  # queued a minute ago: maybe still on its way
        sweep(
            PASSED_AT + delivery.requeue_after() + dt.timedelta(minutes=1),
            django_capture_on_commit_callbacks,
        )
        assert queued == [[row.pk]]
        send_all(queued, PASSED_AT + dt.timedelta(minutes=12))
        assert len(mail.outbox) == 1
        assert Notification.objects.get().status == "sent"

    def test_rows_stuck_in_sending_go_back_to_pending_and_are_queued(self, row, queued, recover):
        claimed_at = PASSED_AT
        Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=claimed_at)
        assert recover(claimed_at + dt.timedelta(minutes=5)) == 0
        assert recover(claimed_at + delivery.sending_timeout() + dt.timedelta(seconds=1)) == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "may have arrived already" in row.last_error
        assert queued == [[row.pk]]

    def test_a_send_task_that_cannot_reach_the_database_is_retried_not_dropped(
        self, row, monkeypatch
    ):
        send_batch, calls = delivery.send_batch, []

        def database_lost_mid_batch(ids, claim_token=None):
            calls.append(ids)
            if len(calls) == 1:
                # Claimed, then the connection went: the row is left "sending".
                delivery.Batch(ids, PASSED_AT, claim_token)
                raise OperationalError("server closed the connection unexpectedly")
            return send_batch(ids, now=PASSED_AT, claim_token=claim_token)

        monkeypatch.setattr(delivery, "send_batch", database_lost_mid_batch)
        send_notifications.apply(args=[[row.pk]])  # as a worker runs it (retries eagerly)
        # Sent by the retry at once, not left "sending" for the sweep's timeout.
        assert calls == [[row.pk], [row.pk]]
        assert Notification.objects.get().status == "sent"
        assert len(mail.outbox) == 1

    def test_the_recovery_intervals_are_settings(self, row, queued, recover, settings):
        settings.TRACKER_EMAIL_REQUEUE_AFTER_SECONDS = 30
        settings.TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS = 240
        Notification.objects.filter(pk=row.pk).update(queued_at=PASSED_AT)
        assert recover(PASSED_AT + dt.timedelta(seconds=29)) == 0
        assert recover(PASSED_AT + dt.timedelta(seconds=31)) == 1
        Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=PASSED_AT)
        assert recover(PASSED_AT + dt.timedelta(seconds=239)) == 0
        assert recover(PASSED_AT + dt.timedelta(seconds=241)) == 1

    def test_rows_never_handed_to_the_broker_are_queued_by_the_next_sweep(
        self, row, queued, recover
    ):
        assert row.queued_at is None
        assert recover(timezone.now()) == 1
        assert queued == [[row.pk]]

    def test_many_rows_are_queued_in_batches(self, due_pledge, queued, recover, settings):
        settings.TRACKER_DELIVERY_BATCH_SIZE = 20
        Notification.objects.bulk_create(
            Notification(
                pledge=due_pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@x.org"
            )
            for n in range(45)
        )
        recover(timezone.now())
        assert [len(batch) for batch in queued] == [20, 20, 5]
