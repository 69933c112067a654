"""The deadline sweep as a Celery task (beat runs it; see ``tracker/celery.py``).

The same tick also sweeps the right-of-reply requests (``replies.sweep_replies``): one
beat entry, and the delivery recovery the deadline sweep runs covers their emails too.
"""

import logging

from celery import shared_task

from commitments.domain import linkcheck, reminders, replies

logger = logging.getLogger(__name__)


# Overlapping sweeps are harmless (each pledge and request is claimed), so a slow one is
# merely stopped.
@shared_task(
    name="commitments.sweep_deadlines", ignore_result=True, soft_time_limit=300, time_limit=360
)
def sweep_deadlines():
    report = reminders.sweep_deadlines()
    try:
        reply_report = replies.sweep_replies().as_dict()
    except Exception:
        # The deadline sweep above is done and recorded; replies are looked at next tick.
        logger.exception("Right-of-reply sweep failed; trying again at the next sweep")
        reply_report = None
    return {**report.as_dict(), "replies": reply_report}


# Every minute; overlapping runs are harmless (each source is claimed), the limits stop a
# run stuck on slow hosts well before the next few start.
@shared_task(
    name="commitments.check_sources", ignore_result=True, soft_time_limit=90, time_limit=120
)
def check_sources():
    return linkcheck.check_due_sources().as_dict()
