"""Celery tasks: thin wrappers that take ids, call the domain functions, and log.

No task carries state the database does not also hold, and none is scheduled with an
ETA: retries are rows whose ``retry_after`` has passed, picked up by the next sweep.
"""

import logging

from celery import shared_task

from commitments import delivery, reminders

logger = logging.getLogger(__name__)


# Overlapping sweeps are harmless (each pledge is claimed), so a slow one is merely stopped.
@shared_task(
    name="commitments.sweep_deadlines", ignore_result=True, soft_time_limit=300, time_limit=360
)
def sweep_deadlines():
    report = reminders.sweep_deadlines()
    return report.as_dict()


# The soft limit interrupts a batch stuck on a slow SMTP server (the unsent rows go back to
# pending); the hard limit stops a worker process that ignores it. Both stay well under
# TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS (settings refuse less), after which the sweep would
# hand the rows to another worker.
@shared_task(
    name="commitments.send_notifications", ignore_result=True, soft_time_limit=120, time_limit=180
)
def send_notifications(notification_ids):
    outcome = delivery.send_batch(notification_ids)
    for pk, result in outcome.items():
        logger.info("notification=%s outcome=%s", pk, result)
    skipped = sorted(set(notification_ids) - set(outcome))
    if skipped:
        logger.info("notifications=%s not pending (sent or claimed elsewhere)", skipped)
