"""Subscriber alerts as Celery tasks, and the after-commit hook that starts a fan-out.

Whoever records an event that followers may want (a verdict, a moved or passed
deadline: ``commitments.domain.workflow`` and the sweep) calls ``fan_out_after_commit``
right after writing it. Nothing is queued if the transaction rolls back.
"""

import logging

from celery import shared_task
from django.db import transaction

from commitments.alerts import fanout, subscriptions

logger = logging.getLogger(__name__)


@shared_task(name="commitments.fan_out_event")
def fan_out_event(event_id):
    return fanout.fan_out_event(event_id)


@shared_task(name="commitments.fan_out_events")
def fan_out_events(event_ids):
    """Several events' fan-outs in one task (a sweep's "deadline passed" events)."""
    return sum(fanout.fan_out_event(event_id) or 0 for event_id in event_ids)


@shared_task(name="commitments.fan_out_alerts")
def fan_out_alerts():
    """Periodic recovery and the 7-day warnings; also forgets expired sign-up requests."""
    queued = fanout.fan_out_pending() + fanout.fan_out_upcoming()
    subscriptions.purge_unconfirmed()
    return queued


def fan_out_after_commit(event):
    """Queue the fan-out of ``event``'s alerts once the transaction that wrote it commits."""
    event_id = event.pk

    def queue_fan_out():
        # A broker outage must not fail the staff member's verdict (nor, with Django's
        # robust hooks and a partial, crash while logging it): the periodic
        # fan_out_alerts task picks the event up once the broker is back.
        try:
            fan_out_event.delay(event_id)
        except Exception:
            logger.warning(
                "Could not queue alerts for event %s; the periodic fan-out will", event_id
            )

    transaction.on_commit(queue_fan_out)


def fan_out_many_after_commit(events):
    """``fan_out_after_commit`` for many events: one task, not one per event (the sweep
    passes hundreds of deadlines at once; a broker message each took seconds)."""
    event_ids = [event.pk for event in events]
    if not event_ids:
        return

    def queue_fan_out():
        try:
            fan_out_events.delay(event_ids)
        except Exception:
            logger.warning(
                "Could not queue alerts for %s events; the periodic fan-out will", len(event_ids)
            )

    transaction.on_commit(queue_fan_out)
