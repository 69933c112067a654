"""The deadline sweep as a Celery task (beat runs it; see ``tracker/celery.py``)."""

from celery import shared_task

from commitments.domain import reminders


# Overlapping sweeps are harmless (each pledge is claimed), so a slow one is merely stopped.
@shared_task(
    name="commitments.sweep_deadlines", ignore_result=True, soft_time_limit=300, time_limit=360
)
def sweep_deadlines():
    report = reminders.sweep_deadlines()
    return report.as_dict()
