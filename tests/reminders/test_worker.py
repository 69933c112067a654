"""End to end: a real Celery worker (with beat) sends the demo's reminder over SMTP, once.

The worker runs as a subprocess against the configured broker (the filesystem broker in
a temporary folder by default, Redis when CELERY_BROKER_URL is set) and its own database
(a SQLite file, or a fresh PostgreSQL database when DATABASE_URL is set), which this
test prepares with ``migrate`` and ``load_demo`` exactly like ``make run``.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.reminders.smtp import Sink, smtp_sink

pytestmark = pytest.mark.services

ROOT = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).with_name("celery")
DEADLINE_SECONDS = 90


@pytest.fixture
def database_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
        return
    import psycopg

    base, _, name = url.rpartition("/")
    e2e_name = f"{name}_e2e"
    admin_url = f"{base}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{e2e_name}"')
    yield f"{base}/{e2e_name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')


@pytest.fixture
def app_env(tmp_path, database_url):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "CELERY_TASK_ALWAYS"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DJANGO_ENV="development",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="0",
        SITE_URL="https://tracker.example.org",
        TRACKER_TIME_ZONE="America/Los_Angeles",
        TRACKER_STAFF_EMAILS="advocacy@example.org",
        DEFAULT_FROM_EMAIL="Commitment Tracker <tracker@example.org>",
        EMAIL_TIMEOUT="5",
        CELERY_QUEUE_DIR=str(tmp_path / "queue"),
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/"),
    )
    # The demo's real pledges have no deadline left to pass (README: "See a reminder go out"),
    # so, as the README shows a newcomer, log one whose deadline has passed.
    log_overdue_pledge = (
        "import datetime as dt; from commitments.models import Company, Pledge; "
        "Pledge.objects.create(company=Company.objects.get(slug='amazon'), "
        "title='Practice pledge with a past deadline', success_criteria='Anything.', "
        "announced_on=dt.date(2021, 1, 4), deadline=dt.date(2021, 6, 10), is_published=True)"
    )
    for step in (["migrate", "--noinput"], ["load_demo"], ["shell", "-c", log_overdue_pledge]):
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *step],
            env=env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=180,
        )
    return env


class Worker:
    """``celery -A tracker worker --beat`` in its own process group, logging to a file."""

    def __init__(self, env, folder, name):
        self.log = folder / f"{name}.log"
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "tracker",
                "worker",
                "--beat",
                "--schedule",
                str(folder / "beat-schedule"),
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"e2e-{uuid.uuid4().hex[:8]}@%h",
            ],
            env=env,
            cwd=folder,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self):
        return self.log.read_text()

    def wait_for(self, condition, what):
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # beat and pool children, if any remain
        self.process.wait(timeout=10)


def test_a_real_worker_sends_a_deadline_reminder_once_across_restarts(tmp_path, app_env):
    sink = Sink()
    with smtp_sink(sink) as port:
        app_env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
        worker = Worker(app_env, tmp_path, "first")
        try:
            worker.wait_for(lambda: sink.received, "the reminder email")
            worker.wait_for(lambda: "outcome=sent" in worker.output(), "the task to finish")
        finally:
            worker.stop()

        [message] = sink.received
        assert message["Subject"].strip() == (
            "Deadline passed: Amazon — Practice pledge with a past deadline"
        )
        assert message["To"] == "advocacy@example.org"
        assert message["From"] == "Commitment Tracker <tracker@example.org>"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].endswith(".passed@tracker.example.org>")
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "passed at the end of 10 June 2021; record a verdict" in text
        assert "https://tracker.example.org/admin/commitments/pledge/" in text
        assert (
            "https://tracker.example.org/pledges/amazon-practice-pledge-with-a-past-deadline/"
            in text
        )
        assert ">Record the verdict</a>" in html
        assert "Deadline sweep: Checked 1 pledge(s): 1 reminder(s), 1 deadline-passed event(s)" in (
            worker.output()
        )

        # make run, again: the sweep on start finds nothing new to say.
        again = Worker(app_env, tmp_path, "second")
        try:
            again.wait_for(
                lambda: "succeeded" in again.output() and "Deadline sweep" in again.output(),
                "the sweep after the restart",
            )
        finally:
            again.stop()
        assert "Deadline sweep: Checked 0 pledge(s): 0 reminder(s)" in again.output()
        assert len(sink.received) == 1
