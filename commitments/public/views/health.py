"""/health: can this deployment do its job? For load balancers, compose and humans.

200 when the database answers, the broker accepts a connection, and the deadline
sweep finished within the last 3 sweep intervals; 503 otherwise. Always a small JSON
body, never a traceback.
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


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Heartbeat.last(Heartbeat.SWEEP)


def check_broker():
    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


@never_cache
@require_GET
def health(request):
    body = {"database": "ok", "broker": "ok", "last_sweep": None}
    healthy = True
    last_sweep = None
    try:
        last_sweep = check_database()
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
    body["status"] = "ok" if healthy else "fail"
    return JsonResponse(body, status=200 if healthy else 503)
