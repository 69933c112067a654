"""Delivery against real (misbehaving) SMTP servers on loopback."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.urls import reverse

from commitments.mail import delivery
from commitments.mail.tasks import send_notifications
from commitments.models import Notification
from tests.reminders.conftest import la
from tests.reminders.smtp import Greylisting, Sink, hanging_smtp_server, smtp_sink

pytestmark = pytest.mark.django_db

PASSED_AT = la(2021, 6, 11, 0, 0)


@pytest.fixture
def smtp(settings):
    """Point Django's SMTP backend at a loopback port: smtp(port)."""

    def use(port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 1

    return use


@pytest.fixture
def row(pledge):
    return Notification.objects.create(
        pledge=pledge, kind="passed", occurrence="2021-06-10", recipient="advocacy@example.org"
    )


@pytest.fixture
def retry_when_due(queued, django_capture_on_commit_callbacks):
    """What the sweep does once the backoff is over: re-queue, and the worker sends."""

    def retry(row):
        row.refresh_from_db()
        queued.clear()
        with django_capture_on_commit_callbacks(execute=True):
            delivery.recover(row.retry_after)
        return delivery.send_batch(queued.pop(), now=row.retry_after)

    return retry


def test_a_server_that_refuses_twice_then_accepts_delivers_once(row, smtp, retry_when_due):
    sink = Sink(refuse=2)
    with smtp_sink(sink) as port:
        smtp(port)
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {row.pk: "retry"}
        assert retry_when_due(row) == {row.pk: "retry"}
        assert retry_when_due(row) == {row.pk: "sent"}
        # A late duplicate of the task finds nothing to do.
        send_notifications([row.pk])
    assert sink.attempts == 3
    [message] = sink.received
    assert message["To"] == "advocacy@example.org"
    # Python's parser keeps the space Django's header folding leaves before the encoded words.
    assert message["Subject"].strip() == (
        "Deadline passed: Amazon — One-year moratorium on police use of Rekognition"
    )
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")


def test_a_hanging_server_times_out_and_the_email_is_retried(row, smtp, retry_when_due):
    with hanging_smtp_server() as port:
        smtp(port)
        assert delivery.send_batch([row.pk], now=PASSED_AT) == {row.pk: "retry"}
    row.refresh_from_db()
    assert row.status == "pending"
    assert "timed out" in row.last_error
    sink = Sink()
    with smtp_sink(sink) as port:
        smtp(port)
        assert retry_when_due(row) == {row.pk: "sent"}
    assert len(sink.received) == 1


def test_the_task_time_limit_puts_unsent_rows_back(pledge, smtp_script, monkeypatch):
    rows = [
        Notification.objects.create(
            pledge=pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@example.org"
        )
        for n in range(3)
    ]
    smtp_script.extend([None, SoftTimeLimitExceeded()])
    outcome = delivery.send_batch([r.pk for r in rows], now=PASSED_AT)
    assert [outcome[r.pk] for r in rows] == ["sent", "retry", "retry"]
    assert list(Notification.objects.order_by("pk").values_list("status", flat=True)) == [
        "sent",
        "pending",
        "pending",
    ]
    assert (send_notifications.soft_time_limit, send_notifications.time_limit) == (120, 180)
    assert send_notifications.time_limit < delivery.sending_timeout().total_seconds()


def alert_rows(pledge, addresses):
    return [
        Notification.objects.create(
            pledge=pledge, kind="passed", occurrence="2021-06-10", recipient=address
        )
        for address in addresses
    ]


def deliver_until_settled(ids, queued, capture, now=PASSED_AT, rounds=5):
    """Send, then do what the sweeps do as each backoff ends, until no row is pending."""
    delivery.send_batch(ids, now=now)
    for _ in range(rounds):
        pending = Notification.objects.filter(status="pending")
        if not pending.exists():
            return
        now = max(row.retry_after for row in pending)
        queued.clear()
        with capture(execute=True):
            delivery.recover(now)
        for batch in queued:
            delivery.send_batch(batch, now=now)
    raise AssertionError(f"rows still pending after {rounds} rounds")


def test_greylisted_alerts_arrive_once_and_unknown_users_fail_with_the_reason_in_the_admin(
    pledge, smtp, queued, django_capture_on_commit_callbacks, client, superuser
):
    addresses = [f"reader{n}@example.org" for n in range(8)]
    unknown = {"reader2@example.org", "reader5@example.org"}
    rows = alert_rows(pledge, addresses)
    server = Greylisting(stage="RCPT", unknown=unknown)
    with smtp_sink(server) as port:
        smtp(port)
        first = delivery.send_batch([r.pk for r in rows], now=PASSED_AT)
        # One refusal does not fail or hold back the others: each row has its own outcome.
        assert first == {r.pk: "failed" if r.recipient in unknown else "retry" for r in rows}
        deliver_until_settled([r.pk for r in rows], queued, django_capture_on_commit_callbacks)
    delivered = sorted(message["To"] for message in server.received)
    assert delivered == sorted(set(addresses) - unknown)  # each exactly once
    statuses = dict(Notification.objects.values_list("recipient", "status"))
    assert statuses == {a: "failed" if a in unknown else "sent" for a in addresses}
    failed = Notification.objects.get(recipient="reader2@example.org")
    assert failed.attempts == 1
    assert failed.last_error == (
        "SMTPRecipientsRefused: reader2@example.org: 550 5.1.1 No such user here"
    )
    client.force_login(superuser)
    page = client.get(
        reverse("admin:commitments_notification_changelist") + "?status__exact=failed"
    )
    assert page.status_code == 200
    assert page.content.decode().count("550 5.1.1 No such user here") == 2


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_a_temporary_refusal_at_any_stage_is_retried_not_failed(
    pledge, smtp, queued, django_capture_on_commit_callbacks, stage
):
    rows = alert_rows(pledge, ["a@example.org", "b@example.org"])
    server = Greylisting(stage=stage)
    with smtp_sink(server) as port:
        smtp(port)
        deliver_until_settled([r.pk for r in rows], queued, django_capture_on_commit_callbacks)
    # Greylisting at MAIL refuses the server's first MAIL only; at RCPT or DATA, each address once.
    assert [code for _, _, code in server.refusals] == [451] * (1 if stage == "MAIL" else 2)
    assert sorted(m["To"] for m in server.received) == ["a@example.org", "b@example.org"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_refused_recipient_does_not_hold_back_the_rest_of_its_batch(pledge, smtp):
    rows = alert_rows(pledge, ["gone@example.org", "a@example.org", "b@example.org"])
    server = Greylisting(stage=None, unknown={"gone@example.org"})
    with smtp_sink(server) as port:
        smtp(port)
        outcome = delivery.send_batch([r.pk for r in rows], now=PASSED_AT)
    assert [outcome[r.pk] for r in rows] == ["failed", "sent", "sent"]
    assert sorted(m["To"] for m in server.received) == ["a@example.org", "b@example.org"]
