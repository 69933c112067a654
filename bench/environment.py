"""The throwaway world a bench run lives in: its database, its files, its servers.

Everything created here is recorded on a ``Workspace`` and removed by ``close()``,
which ``run.main`` calls from ``finally`` and from ``atexit`` (SIGTERM is turned
into SystemExit so both fire): servers are stopped by process group, the
PostgreSQL database is dropped, the temporary directory is deleted.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(database_url, static_root):
    """The variables DJANGO_ENV=production demands, with values that serve only this run."""
    return {
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "off",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": "https://bench.invalid",
        # Rewritten to the SMTP sink's port when the fan-out runs.
        "EMAIL_URL": "smtp://127.0.0.1:25",
        # Someone to remind, so the sweep writes and queues real reminders.
        "TRACKER_STAFF_EMAILS": "staff@bench.invalid",
        # The run's own queue folder: no broker service needed, and nothing outside the run
        # can take its tasks. The fan-out's workers look at it every 50 ms.
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "CELERY_QUEUE_DIR": str(Path(static_root).parent / "celery"),
        "CELERY_POLLING_INTERVAL": "0.05",
        "STATIC_ROOT": str(static_root),
        # Requests carry X-Forwarded-Proto: https as behind the real proxy; no redirect either way.
        "SECURE_SSL_REDIRECT": "off",
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
    }


class Workspace:
    def __init__(self, keep=False):
        self.dir = BASE_DIR / "var" / f"bench-{os.getpid()}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.servers = []
        self.pg_admin_url = None
        self.pg_name = None
        self.closed = False

    # --- database ------------------------------------------------------------------

    def create_database(self, source_url):
        """A new database for this run: on the PostgreSQL server of ``source_url``, or SQLite."""
        if source_url and source_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            parts = urlsplit(source_url)
            self.pg_name = f"tracker_bench_{os.getpid()}"
            self.pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            return urlunsplit(parts._replace(path=f"/{self.pg_name}"))
        return f"sqlite:///{self.dir / 'bench.sqlite3'}"

    def _drop_database(self):
        if not self.pg_name:
            return
        with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
            # FORCE ends sessions a crashed server may have left behind.
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        self.pg_name = None

    # --- servers -----------------------------------------------------------------

    def start_server(self, name, argv, env):
        """Start ``argv`` in its own process group, output to a log file in the workspace."""
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the server
        proc = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.servers.append((proc, log))
        return proc

    def stop_server(self, proc):
        for entry in list(self.servers):
            if entry[0] is proc:
                _stop_group(proc)
                entry[1].close()
                self.servers.remove(entry)

    def server_log(self, name, lines=20):
        path = self.dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # --- teardown ------------------------------------------------------------------

    def close(self):
        if self.closed:
            return
        self.closed = True
        for proc, log in self.servers:
            _stop_group(proc)
            log.close()
        self.servers = []
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been set up
            pass
        try:
            self._drop_database()
        except psycopg.Error as exc:
            print(f"bench: could not drop database {self.pg_name}: {exc}", file=sys.stderr)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def _stop_group(proc):
    """INT the server's process group (master and workers), KILL whatever lingers.

    INT is a quick shutdown for gunicorn and granian alike; nothing is in flight by
    now. The group is signalled even when the leader has exited, so orphaned workers go too.
    """
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(proc):
            time.sleep(0.05)
        if not _group_alive(proc):
            break
    proc.wait(timeout=5)


def _group_alive(proc):
    proc.poll()  # reap the leader so it does not count as a zombie member
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


def exit_on_sigterm():
    """Turn SIGTERM into SystemExit so ``finally`` blocks and ``atexit`` clean up."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
