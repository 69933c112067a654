import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from commitments.management.commands.backup import pg_environment


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, replacing "
        "what is there. Stop the web, worker and beat processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup_file")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, backup_file, yes, **options):
        path = Path(backup_file)
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        name = settings.DATABASES["default"]["NAME"]
        if not yes and input(f"Replace everything in database {name!r} with {path}? [y/N] ") != "y":
            raise CommandError("Restore cancelled.")
        if connection.vendor == "postgresql":
            connection.close()
            result = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                 "--dbname", name, str(path)],
                env=pg_environment(),
                capture_output=True,
                text=True,
            )  # fmt: skip
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            with sqlite3.connect(path) as check:
                if check.execute("pragma integrity_check").fetchone() != ("ok",):
                    raise CommandError(f"{path} is not an intact SQLite database.")
            connection.close()
            shutil.copyfile(path, name)
        else:
            raise CommandError(f"No restore method for a {connection.vendor} database.")
        self.stdout.write(f"Restored {path} into {name}.")
