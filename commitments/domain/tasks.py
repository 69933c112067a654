"""The deadline sweep as a Celery task (beat runs it; see ``tracker/celery.py``)."""

from celery import shared_task

from commitments.domain import linkcheck, reminders


# Overlapping sweeps are harmless (each pledge is claimed), so a slow one is merely stopped.
@shared_task(
    name="commitments.sweep_deadlines", ignore_result=True, soft_time_limit=300, time_limit=360
)
def sweep_deadlines():
    report = reminders.sweep_deadlines()
    return report.as_dict()


# Every minute; overlapping runs are harmless (each source is claimed), the limits stop a
# run stuck on slow hosts well before the next few start.
@shared_task(
    name="commitments.check_sources", ignore_result=True, soft_time_limit=90, time_limit=120
)
def check_sources():
    return linkcheck.check_due_sources().as_dict()
