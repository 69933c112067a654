"""PostgreSQL crashes in the middle of a fan-out: the duplicates stay within the documented
window, queued work outlives the outage, and nothing is lost.

A private cluster (tests/reminders/private_postgres.py) is crashed (``pg_ctl stop -m
immediate``: no checkpoint, unflushed WAL gone) and kept down a few seconds, while a real
worker (``scripts/serve-worker``, its default two processes) sends a verdict's alerts into
an SMTP sink. No sweep runs: the worker alone must finish the job once the database is
back. Then every message is counted by recipient.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from commitments.mail import delivery
from tests.conftest import require_or_skip
from tests.reminders.private_postgres import private_cluster, server_binaries
from tests.reminders.smtp import Sink, smtp_sink

pytestmark = pytest.mark.services

ROOT = Path(settings.BASE_DIR)
FOLLOWERS = 1000
PROCESSES = 2  # scripts/serve-worker's default WORKER_CONCURRENCY
TIMEOUT = 90


def manage(env, *args):
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout.strip()


def drill(env, *args):
    return manage(env, "-m", "tests.reminders.fanout_drill", *args)


def wait_until(condition, what, worker_log, state=lambda: ""):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what} {state()}:\n{worker_log.read_text()[-3000:]}")


@pytest.fixture
def cluster():
    require_or_skip(server_binaries(), "no PostgreSQL server binaries for a private cluster")
    with private_cluster() as cluster:
        cluster.create_database("tracker")
        yield cluster


def test_a_database_crash_mid_fan_out_repeats_at_most_the_window_and_loses_nothing(
    tmp_path, cluster
):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "CELERY_", "DATABASE_", "CACHE_"))
    } | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": cluster.url("tracker"),
        "CONN_MAX_AGE": "60",  # production's: connections outlive the crash and must be replaced
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "CELERY_QUEUE_DIR": str(tmp_path / "queue"),
        "CELERY_POLLING_INTERVAL": "0.1",
        "TRACKER_DELIVERY_BATCH_SIZE": "100",
        # The sink shares this process with the drill's polling: on a loaded 2-core machine a
        # 5 s timeout once cut a healthy session, and its rows then waited out the backoff.
        "EMAIL_TIMEOUT": "30",
        "LOG_LEVEL": "WARNING",
        "WORKER_NAME": "crash-drill",
    }
    manage(env, "manage.py", "migrate", "--noinput")
    drill(env, "setup", str(FOLLOWERS))
    sink = Sink()
    log = tmp_path / "worker.log"
    with smtp_sink(sink) as port:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
        worker = subprocess.Popen(
            ["scripts/serve-worker"],
            env=env,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            assert int(drill(env, "fan-out")) == FOLLOWERS
            wait_until(lambda: len(sink.received) >= FOLLOWERS // 4, "the first alerts", log)
            cluster.stop("immediate")
            time.sleep(3)  # the worker keeps taking send tasks meanwhile
            cluster.start()

            def counts():
                return json.loads(drill(env, "counts"))

            # Every queued task ran, and every batch cut off by the crash was resumed, once
            # the database was back: no row waits for a sweep's recovery.
            wait_until(lambda: counts() == {"sent": FOLLOWERS}, "every row sent", log, counts)
            wait_until(lambda: len(sink.received) >= FOLLOWERS, "every message", log)
            time.sleep(1)  # anything still on its way
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)

    per_recipient = Counter(message["To"] for message in sink.received)
    lost = FOLLOWERS - len(per_recipient)
    duplicates = sum(per_recipient.values()) - len(per_recipient)
    print(f"crash drill: {FOLLOWERS} followers, {duplicates} duplicates, {lost} lost")
    report = f"{duplicates} duplicates, {lost} lost; worker log:\n{log.read_text()[-3000:]}"
    assert lost == 0, report
    # The bound delivery.py states: one unmarked group per worker process.
    assert duplicates <= delivery.MARK_SENT_EVERY * PROCESSES, report
