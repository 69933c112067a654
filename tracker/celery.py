import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each room of the app keeps its own tasks module.
app.autodiscover_tasks(
    ["commitments.domain", "commitments.mail", "commitments.alerts", "commitments.public"]
)


@app.on_after_finalize.connect
def schedule_periodic_tasks(sender, **kwargs):
    from django.conf import settings

    # An interval, not a local-time crontab: a sweep is idempotent, so a DST jump
    # or a late tick costs nothing, and catch-up after downtime is the sweep's job.
    sender.add_periodic_task(
        settings.TRACKER_SWEEP_INTERVAL_SECONDS,
        sender.signature("commitments.sweep_deadlines"),
        name="sweep deadlines",
    )
    sender.add_periodic_task(
        settings.TRACKER_SWEEP_INTERVAL_SECONDS,
        sender.signature("commitments.fan_out_alerts"),
        name="fan out subscriber alerts",
    )
    # Each run checks the few sources whose slot has come (see commitments.domain.linkcheck).
    sender.add_periodic_task(
        60.0, sender.signature("commitments.check_sources"), name="check sources"
    )
    # Archiving that is due and that no task holds (the broker lost it, or it waits out a 429).
    sender.add_periodic_task(
        60.0, sender.signature("commitments.archive_sources"), name="archive sources"
    )
    # Whole-table files (/pledges.csv, …): rebuilt only when public content moved since the
    # last build, so at most once a minute (commitments.public.exports).
    sender.add_periodic_task(
        60.0, sender.signature("commitments.build_exports"), name="build whole-table files"
    )
    # Written once a week (Monday, TRACKER_DIGEST_HOUR); looked for hourly.
    sender.add_periodic_task(
        3600.0,
        sender.signature("commitments.broken_sources_digest"),
        name="broken sources digest",
    )


@beat_init.connect
def sweep_when_beat_starts(sender, **kwargs):
    # Do not wait a whole interval after a (re)start: a sweep is idempotent, and a deadline
    # that passed while everything was down deserves its reminder now.
    sender.app.send_task("commitments.sweep_deadlines")
