"""The whole-table files as a Celery task (beat runs it every minute; see ``tracker/celery.py``).

The task is the debounce: it builds only when the content version moved since the last
build (``exports.build_all``), so however many edits a minute brings, the files are built
at most once in it. Overlapping runs are harmless: the second one finds the build lock held
and skips. Each run that leaves the files current records a heartbeat for /health.

The search's misspelling vocabulary is derived from the same content and rebuilt on the
same beat (``commitments.models.search.refresh_vocabulary``), before the files: it takes a
second or two where they take most of a minute, and a refresh that fails leaves the files
out of date too, so the next tick tries both again.
"""

from celery import shared_task
from django.utils import timezone

from commitments.models import Heartbeat, search
from commitments.public import caching, exports


@shared_task(
    name="commitments.build_exports", ignore_result=True, soft_time_limit=600, time_limit=660
)
def build_exports():
    version = caching.content_version()[0]  # before the vocabulary reads the content
    if exports.built_version() != version:
        search.refresh_vocabulary()
    result = exports.build_all(version=version)
    if result.get("reason") != "another build is running":
        # The files are current: /health reports them late when this stops happening.
        Heartbeat.record(Heartbeat.EXPORTS, timezone.now(), summary=result)
    return result
