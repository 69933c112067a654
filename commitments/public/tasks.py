"""The whole-table files as a Celery task (beat runs it every minute; see ``tracker/celery.py``).

The task is the debounce: it builds only when the content version moved since the last
build (``exports.build_all``), so however many edits a minute brings, the files are built
at most once in it. Overlapping runs are harmless: the second one finds the build lock held
and skips. Each run that leaves the files current records a heartbeat for /health.

The search's misspelling vocabulary is derived from the same published content and rebuilt
on the same beat, after the files (``commitments.models.search.refresh_vocabulary``).
"""

from celery import shared_task
from django.utils import timezone

from commitments.models import Heartbeat, search
from commitments.public import exports


@shared_task(
    name="commitments.build_exports", ignore_result=True, soft_time_limit=600, time_limit=660
)
def build_exports():
    result = exports.build_all()
    if result.get("built"):
        search.refresh_vocabulary()
    if result.get("reason") != "another build is running":
        # The files are current: /health reports them late when this stops happening.
        Heartbeat.record(Heartbeat.EXPORTS, timezone.now(), summary=result)
    return result
