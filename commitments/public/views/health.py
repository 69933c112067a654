"""/health: can this deployment do its job? For load balancers, compose and humans.

200 when the database answers, the broker accepts a connection, the deadline sweep
finished within the last 3 sweep intervals, and the whole-table files (CSV, JSON, the
site calendar) were last found current less than 15 minutes ago (a build may take up to
its 11-minute time limit); 503 otherwise. Before their first build the files are
"not built yet", which is not a failure: the pages build the answer themselves until
then. Always a small JSON body, never a traceback.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from commitments.models import Heartbeat
from tracker.celery import app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
STALE_AFTER_INTERVALS = 3
EXPORTS_LATE_AFTER = timedelta(minutes=15)


def check_database():
    """The last sweep and the last export build, from a database that answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Heartbeat.last(Heartbeat.SWEEP), Heartbeat.last(Heartbeat.EXPORTS)


def check_broker():
    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


@never_cache
@require_GET
def health(request):
    body = {"database": "ok", "broker": "ok", "last_sweep": None}
    healthy = True
    last_sweep = last_exports = None
    try:
        last_sweep, last_exports = check_database()
    except Exception:
        logger.exception("Health check: database unavailable")
        body["database"] = "unavailable"
        healthy = False
    try:
        check_broker()
    except Exception:
        logger.exception("Health check: broker unavailable")
        body["broker"] = "unavailable"
        healthy = False

    interval = settings.TRACKER_SWEEP_INTERVAL_SECONDS
    body["sweep_interval_seconds"] = interval
    if last_sweep is not None:
        age = timezone.now() - last_sweep
        body["last_sweep"] = last_sweep.isoformat(timespec="seconds")
        body["last_sweep_age_seconds"] = int(age.total_seconds())
        body["sweep"] = "ok"
        if age > timedelta(seconds=STALE_AFTER_INTERVALS * interval):
            body["sweep"] = "late"
            healthy = False
    elif body["database"] == "ok":
        body["sweep"] = "never run"
        healthy = False
    if last_exports is not None:
        body["exports"] = "ok"
        if timezone.now() - last_exports > EXPORTS_LATE_AFTER:
            body["exports"] = "late"
            healthy = False
    elif body["database"] == "ok":
        body["exports"] = "not built yet"
    body["status"] = "ok" if healthy else "fail"
    return JsonResponse(body, status=200 if healthy else 503)
