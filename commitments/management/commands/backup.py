import datetime as dt
import os
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_environment():
    """libpq settings for pg_dump/pg_restore, so the password never appears in a process list."""
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


class Command(BaseCommand):
    help = (
        "Write a full backup of the database to var/backups/ (or --output): pg_dump's custom "
        "format on PostgreSQL, a consistent copy of the file on SQLite. Restore with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="File to write (default: var/backups/tracker-<time>.<ext>)."
        )

    def handle(self, *args, output=None, **options):
        vendor = connection.vendor
        suffix = {"postgresql": "dump", "sqlite": "sqlite3"}.get(vendor)
        if suffix is None:
            raise CommandError(f"No backup method for a {vendor} database.")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(output or settings.BASE_DIR / "var" / "backups" / f"tracker-{stamp}.{suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if vendor == "postgresql":
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(path)],
                env=pg_environment(),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            # SQLite's online backup API copies a consistent snapshot even while the app writes.
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            with sqlite3.connect(path) as target:
                source.backup(target)
            source.close()
        path.chmod(0o600)
        self.stdout.write(str(path))
