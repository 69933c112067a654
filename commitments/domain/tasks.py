"""The deadline sweep as a Celery task (beat runs it; see ``tracker/celery.py``).

The same tick also sweeps the right-of-reply requests (``replies.sweep_replies``): one
beat entry, and the delivery recovery the deadline sweep runs covers their emails too.
"""

import logging

from celery import shared_task
from django.db import transaction

from commitments.domain import archiving, linkcheck, reminders, replies

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


# Retried through Celery with the wait the attempt chose (backoff, Retry-After, polling) when
# it is short; the row holds the same due time, so the sweep below covers a longer wait and
# a retry the broker lost, and the claim makes a duplicate run harmless. max_retries is the
# attempt count on the row.
@shared_task(
    bind=True,
    name="commitments.archive_source",
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
    max_retries=None,
)
def archive_source(self, source_id):
    outcome = archiving.archive_once(source_id)
    logger.info("archive source=%s outcome=%s", source_id, outcome.result)
    if (
        outcome.retry_in is not None
        and outcome.retry_in <= archiving.TASK_RETRY_MAX.total_seconds()
    ):
        raise self.retry(countdown=outcome.retry_in)
    return outcome.result


@shared_task(
    name="commitments.archive_sources", ignore_result=True, soft_time_limit=120, time_limit=150
)
def archive_sources():
    return archiving.archive_due_sources()


def archive_after_commit(sources):
    """Queue the archiving of just-saved sources that want a copy (new ones, corrected
    URLs) once their transaction commits."""
    source_ids = [
        source.pk
        for source in sources
        if source.pk is not None and source.archive_due_at is not None
    ]
    if not source_ids or not archiving.enabled():
        return

    def queue():
        for pk in source_ids:
            # A broker outage must not fail the staff member's save: the minute sweep
            # (archive_sources) picks the source up, as it is due from its creation.
            try:
                archive_source.delay(pk)
            except Exception:
                logger.warning("Could not queue archiving of source %s; the sweep will", pk)

    transaction.on_commit(queue)


# Hourly; the digest is written once per week (a unique constraint), so a missed hour or
# a second run costs nothing.
@shared_task(name="commitments.broken_sources_digest", ignore_result=True, soft_time_limit=120)
def broken_sources_digest():
    return linkcheck.write_broken_sources_digest()
