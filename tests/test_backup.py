"""A backup restored into an empty database holds every pledge, event and source."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parent.parent
COUNT = (
    "from commitments.models import Disbursement, Pledge, PledgeEvent, Source;"
    "print(Pledge.objects.count(), PledgeEvent.objects.count(), Source.objects.count(),"
    " Disbursement.objects.count())"
)


def manage(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def round_trip(source_url, target_url, backup_file):
    manage(source_url, "migrate", "--noinput", "-v0")
    manage(source_url, "load_demo")
    before = manage(source_url, "shell", "--no-imports", "-c", COUNT)
    manage(source_url, "backup", "--output", str(backup_file))
    manage(target_url, "restore", str(backup_file), "--yes")
    return before, manage(target_url, "shell", "--no-imports", "-c", COUNT)


def test_sqlite_backup_restores_into_an_empty_database(tmp_path):
    before, after = round_trip(
        f"sqlite:///{tmp_path / 'live.sqlite3'}",
        f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        tmp_path / "backup.sqlite3",
    )
    assert before == after == "3 6 6 11"


@pytest.mark.services
def test_postgresql_backup_restores_into_an_empty_database(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    require_or_skip(url.startswith("postgres"), "DATABASE_URL does not point at PostgreSQL")
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    names = [f"tracker_backup_live_{suffix}", f"tracker_backup_empty_{suffix}"]
    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'create database "{name}"')
    try:
        before, after = round_trip(
            f"{base}/{names[0]}", f"{base}/{names[1]}", tmp_path / "backup.dump"
        )
        assert before == after == "3 6 6 11"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'drop database if exists "{name}" with (force)')
