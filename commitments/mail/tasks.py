"""The send task: a thin wrapper that takes ids, calls ``delivery.send_batch``, and logs.

No task carries state the database does not also hold, and none is scheduled with an
ETA: retries are rows whose ``retry_after`` has passed, picked up by the next sweep. The
one exception is a send task that cannot reach the database at all (below).
"""

import logging
import uuid

from celery import shared_task
from django.db import InterfaceError, OperationalError

from commitments.mail import delivery

logger = logging.getLogger(__name__)

# First wait before a send task that found the database unreachable runs again (doubling, ≤ 60 s).
DATABASE_RETRY_SECONDS = 2


# The soft limit interrupts a batch stuck on a slow SMTP server (the unsent rows go back to
# pending); the hard limit stops a worker process that ignores it. Both stay well under
# TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS (settings refuse less), after which the sweep would
# hand the rows to another worker.
#
# A worker that cannot reach the database can neither claim nor mark rows. Were the task to
# fail, Celery would acknowledge its message (acks_late acks failures too) and the rows would
# wait for the sweep's requeue; instead the task is retried: a new message, due a few
# seconds later, so queued work outlives the outage instead of being used up by it. Every run
# of one task claims with the same token, so a run cut off mid-batch is resumed by the next
# (the messages the server accepted but that could not be marked are sent again: the
# duplicate window in delivery.py), not left "sending" until the sending timeout.
@shared_task(
    bind=True,
    name="commitments.send_notifications",
    ignore_result=True,
    soft_time_limit=120,
    time_limit=180,
    max_retries=None,
)
def send_notifications(self, notification_ids, claim_token=None):
    claim_token = claim_token or uuid.uuid4().hex
    try:
        outcome = delivery.send_batch(notification_ids, claim_token=claim_token)
    except (OperationalError, InterfaceError) as exc:
        countdown = min(DATABASE_RETRY_SECONDS * 2**self.request.retries, 60)
        logger.warning(
            "Database unreachable; notifications %s… retried in %ss",
            notification_ids[:5],
            countdown,
        )
        raise self.retry(exc=exc, countdown=countdown, kwargs={"claim_token": claim_token}) from exc
    for pk, result in outcome.items():
        logger.info("notification=%s outcome=%s", pk, result)
    skipped = sorted(set(notification_ids) - set(outcome))
    if skipped:
        logger.info("notifications=%s not pending (sent or claimed elsewhere)", skipped)
