"""Delivery against real (misbehaving) SMTP servers on loopback."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from commitments import delivery
from commitments.models import Notification
from commitments.tasks import send_notifications
from tests.reminders.conftest import la
from tests.reminders.smtp import Sink, hanging_smtp_server, smtp_sink

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
    assert send_notifications.time_limit < delivery.SENDING_TIMEOUT.total_seconds()
