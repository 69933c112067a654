"""Phase 4: one alert fanned out to 10,000 subscribers into a loopback SMTP sink.

Plug point (issues 5 and 6): when ``commitments.delivery.send_batch(notification_ids)``
exists, the bench writes one ALERT Notification per recipient and hands them to it
in batches of ``commitments.delivery.BATCH_SIZE`` (else 100), so the figure covers
claiming, building and sending. Until then it sends the same number of prebuilt
messages through Django's SMTP backend, one connection per batch, which proves the
sink and the harness and gives the transport's ceiling.
"""

import importlib
import time

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections
from django.test.utils import override_settings
from django.utils import timezone

from bench.smtp_sink import Sink
from bench.throughput import free_port
from commitments.models import Notification, Pledge, PledgeEvent

SENDER = "commitments.delivery.send_batch"
DEFAULT_BATCH = 100


def recipients(count):
    from bench.generate import subscriber_model

    model = subscriber_model()
    emails = []
    if model is not None:
        emails = list(model.objects.order_by("pk").values_list("email", flat=True)[:count])
    emails += [f"subscriber{i}@bench.invalid" for i in range(len(emails), count)]
    return emails


def measure(count):
    emails = recipients(count)
    sender, batch_size = _sender()
    port = free_port()
    # The sink is a spawned process; no database connection should straddle that.
    connections.close_all()
    with (
        Sink(port) as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ),
    ):
        ids, note = (_notifications(emails) if sender else None), ""
        if sender and ids is None:
            note = "send_batch exists but no ALERT email builder is registered (issue 6)"
        if ids is None:
            path, seconds = "django_smtp_fallback", _send_prebuilt(emails, DEFAULT_BATCH)
            batch_size = DEFAULT_BATCH
        else:
            path, seconds = SENDER, _send_notifications(sender, ids, batch_size)
        received = _wait_for(sink, len(emails))
        seconds = max(seconds, 1e-9)
        return {
            "path": path,
            "batch_size": batch_size,
            "recipients": len(emails),
            "messages": received,
            "seconds": round(seconds, 3),
            "msgs_per_s": round(received / seconds, 1),
            "smtp_connections": sink.connections.value,
            "note": note,
        }


def _sender():
    module_name, _, attr = SENDER.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr), getattr(module, "BATCH_SIZE", DEFAULT_BATCH)
    except (ImportError, AttributeError):
        return None, DEFAULT_BATCH


def _batches(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _send_prebuilt(emails, batch_size):
    body = "A pledge you follow has news.\n\nSee https://bench.invalid/pledges/example/\n" * 10
    messages = []
    for email in emails:
        message = EmailMultiAlternatives("Pledge update", body, to=[email])
        message.attach_alternative(f"<p>{body}</p>", "text/html")
        messages.append(message)
    started = time.perf_counter()
    for batch in _batches(messages, batch_size):
        with get_connection() as conn:
            conn.send_messages(batch)
    return time.perf_counter() - started


def _notifications(emails):
    """One pending ALERT row per recipient, or None when no builder can render an alert yet."""
    from commitments import emails as builders

    pledge = Pledge.objects.published().order_by("pk").first()
    event = PledgeEvent.objects.create(
        pledge=pledge,
        kind=PledgeEvent.Kind.NOTE,
        occurred_on=timezone.localdate(),
        rationale="Benchmark alert to every subscriber.",
        alerts_queued_at=timezone.now(),
    )
    rows = Notification.objects.bulk_create(
        [
            Notification(
                pledge=pledge,
                event=event,
                kind=Notification.Kind.ALERT,
                occurrence=f"event-{event.pk}",
                recipient=email,
            )
            for email in emails
        ],
        batch_size=2000,
    )
    try:
        builders.build_message(rows[0])
    except LookupError:
        Notification.objects.filter(event=event).delete()
        event.delete()
        return None
    return [row.pk for row in rows]


def _send_notifications(send_batch, ids, batch_size):
    started = time.perf_counter()
    for batch in _batches(ids, batch_size):
        send_batch(batch)
    return time.perf_counter() - started


def _wait_for(sink, expected, timeout=30):
    deadline = time.monotonic() + timeout
    while sink.messages.value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.messages.value
