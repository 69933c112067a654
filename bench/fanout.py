"""Phase 4: one site-wide alert fanned out to 10,000 subscribers into a loopback SMTP sink.

The real path, as a verdict takes it in production: a ``status_changed`` event on a
published pledge, ``commitments.alerts.fanout.fan_out_event`` (one ALERT Notification
per confirmed subscriber, queued in batches of ``TRACKER_DELIVERY_BATCH_SIZE``), then
the ``send_notifications`` tasks, taken from the run's queue folder by a Celery
worker started with ``scripts/serve-worker``, compose's worker command with its
default concurrency. The clock runs from the fan-out call to the sink's last message. The sink
counts the SMTP connections opened: one per batch is the bound.
"""

import os
import re
import sys
import time

from django.conf import settings
from django.db import connections
from django.utils import timezone

from bench.environment import BASE_DIR
from bench.smtp_sink import Sink
from bench.throughput import free_port
from commitments.alerts import fanout
from commitments.models import Notification, Pledge, PledgeEvent, Status, Subscription
from tracker.celery import app as celery_app

WORKER_START_TIMEOUT = 60


def measure(workspace, env, count):
    port = free_port()
    # The sink is a spawned process; no database connection should straddle that.
    connections.close_all()
    with Sink(port) as sink:
        # Tasks earlier phases queued (the sweep's reminders) are not this phase's work.
        celery_app.control.purge()
        # compose's worker as it is, WORKER_CONCURRENCY included (scripts/serve-worker's default).
        processes = env.get("WORKER_CONCURRENCY") or _script_default("WORKER_CONCURRENCY")
        worker_env = env | {
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "WORKER_NAME": "bench-fanout",
            "LOG_LEVEL": "WARNING",
            # The script runs ``celery`` from PATH, as in the image: this interpreter's.
            "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}",
        }
        worker = workspace.start_server("worker", ["scripts/serve-worker"], worker_env)
        try:
            _wait_until_ready(worker, workspace)
            event = _verdict()
            started = time.time()
            queued = fanout.fan_out_event(event.pk)  # commits, then queues the batches
            fanned_out = time.time()
            received = _wait_for(sink, queued, timeout=max(60, queued / 20))
        finally:
            workspace.stop_server(worker)
        seconds = max(sink.last_at.value - started, 1e-9)
        sent = Notification.objects.filter(event=event, status=Notification.Status.SENT).count()
        return {
            "path": "fan_out_event + send_notifications tasks, scripts/serve-worker "
            f"x{processes} processes",
            "batch_size": settings.TRACKER_DELIVERY_BATCH_SIZE,
            "recipients": queued,
            "messages": received,
            "sent": sent,
            "fanout_ms": round((fanned_out - started) * 1000, 1),
            "seconds": round(seconds, 3),
            "msgs_per_s": round(received / seconds, 1),
            "smtp_connections": sink.connections.value,
            "note": "" if sent == count else f"{count - sent} of {count} not sent",
        }


def _script_default(variable):
    """``${VARIABLE:-default}`` as scripts/serve-worker writes it, for the report."""
    script = (BASE_DIR / "scripts" / "serve-worker").read_text()
    match = re.search(rf"\$\{{{variable}:-([^}}]+)\}}", script)
    return match.group(1) if match else "?"


def _wait_until_ready(worker, workspace):
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{workspace.server_log('worker')}")
        if celery_app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"the worker did not answer a ping:\n{workspace.server_log('worker')}")


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


def _wait_for(sink, expected, timeout):
    deadline = time.monotonic() + timeout
    while sink.messages.value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    if sink.messages.value < expected:
        print(f"bench: fan-out gave up waiting after {timeout:.0f}s", file=sys.stderr)
    return sink.messages.value
