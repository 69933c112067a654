"""Phase 4: one site-wide alert fanned out to 10,000 subscribers into a loopback SMTP sink.

The real path, as a verdict takes it in production: a ``status_changed`` event on a
published pledge, ``commitments.alerts.fanout.fan_out_event`` (one ALERT Notification
per confirmed subscriber, queued in batches), then ``commitments.delivery.send_batch``
per batch of ``TRACKER_DELIVERY_BATCH_SIZE`` ids, as the Celery task calls it, here
in-process so the figure is the application's, not the broker's. The sink counts the
SMTP connections opened: one per batch is the bound.
"""

import time

from django.conf import settings
from django.db import connections
from django.test.utils import override_settings
from django.utils import timezone

from bench.smtp_sink import Sink
from bench.throughput import free_port
from commitments import delivery
from commitments.alerts import fanout
from commitments.models import Notification, Pledge, PledgeEvent, Status, Subscription


def measure(count):
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
        event = _verdict()
        started = time.perf_counter()
        queued = fanout.fan_out_event(event.pk)
        fanned_out = time.perf_counter()
        ids = list(
            Notification.objects.filter(event=event, status=Notification.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        size = settings.TRACKER_DELIVERY_BATCH_SIZE
        outcomes = {}
        for start in range(0, len(ids), size):
            outcomes |= delivery.send_batch(ids[start : start + size])
        finished = time.perf_counter()
        received = _wait_for(sink, len(ids))
        seconds = max(finished - started, 1e-9)
        sent = sum(1 for outcome in outcomes.values() if outcome == "sent")
        return {
            "path": "commitments.alerts.fanout.fan_out_event + commitments.delivery.send_batch",
            "batch_size": size,
            "recipients": queued,
            "messages": received,
            "sent": sent,
            "fanout_ms": round((fanned_out - started) * 1000, 1),
            "seconds": round(seconds, 3),
            "msgs_per_s": round(received / seconds, 1),
            "smtp_connections": sink.connections.value,
            "note": "" if sent == count else f"{count - sent} of {count} not sent",
        }


def _verdict():
    """A verdict on a published pledge that every subscriber follows (scope "all")."""
    assert Subscription.objects.confirmed().filter(scope=Subscription.Scope.ALL).exists()
    pledge = Pledge.objects.published().order_by("pk").first()
    # Created already claimed, so the post-save trigger leaves it to the measured call.
    event = PledgeEvent.objects.create(
        pledge=pledge,
        kind=PledgeEvent.Kind.STATUS_CHANGED,
        occurred_on=timezone.localdate(),
        old_status=pledge.status,
        new_status=Status.IN_PROGRESS,
        rationale="Benchmark verdict, sent to every subscriber.",
        alerts_queued_at=timezone.now(),
    )
    PledgeEvent.objects.filter(pk=event.pk).update(alerts_queued_at=None)
    return event


def _wait_for(sink, expected, timeout=30):
    deadline = time.monotonic() + timeout
    while sink.messages.value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.messages.value
