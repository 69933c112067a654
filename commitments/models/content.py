"""The content version: one number that moves with every committed change to public content.

ETags and page-cache keys derive from it (``commitments.public.caching``). It lives in the
database, and database triggers move it, so every process sees the same number and no
write can forget it: a view, the admin, the sweep in a worker, ``manage.py shell``, a
migration, a bulk ``UPDATE`` or a ``COPY`` all fire the triggers. Because the number
is changed inside the writing transaction, readers see it move exactly when the change
becomes visible (at commit), never before.

The triggers watch the tables in ``PUBLIC_TABLES``. Columns that only the background
machinery writes (the reminder schedule, the alert claim, the search document) are left out, so a sweep that
finds nothing to say does not empty every cache. ``install_triggers`` (run by
migrations) introspects the columns at that moment, and PostgreSQL drops a column's
``UPDATE OF`` trigger with the column (SQLite drops triggers when it rebuilds a table): a
migration that adds, alters or removes a column of a watched table, or adds a public table,
calls it again (after its other operations, and also first on the way back), and
``tests/test_content_version.py`` fails if a column escapes it.

The price: the version row is locked from a transaction's first write to public content
until it commits, so such transactions take turns at that point (a spreadsheet import
delays a verdict by the import's few seconds). They cannot deadlock on it in our code:
each takes the version lock after its statement's row locks, and no transaction that has
written public content then waits for a row another content writer holds (the workflow
and the sweep lock their pledge first; the admin's saves and imports touch only the rows
they write).
"""

from django.db import connection, models

# table → columns whose updates are bookkeeping, not content
PUBLIC_TABLES = {
    "commitments_company": (),
    # search_document is derived, by a trigger, from columns that are watched.
    "commitments_pledge": ("next_reminder_at", "search_document"),
    # What the link checker and archiver write every run; archive_url, archived_at and
    # broken_since are public (the pledge page shows them) and stay watched.
    "commitments_source": (
        "archive_due_at",
        "archive_attempts",
        "archive_error",
        "archive_job",
        "next_check_at",
        "last_checked_at",
        "last_status",
        "last_error",
        "last_ok_at",
        "first_failed_at",
        "final_url",
        "archive_check",
    ),
    "commitments_pledgeevent": ("alerts_queued_at",),
    "commitments_pledgeevent_sources": (),
    "commitments_page": (),
    "commitments_disbursement": (),
    # The right of reply: what the pledge page and company page say about requests.
    "commitments_replyrequest": ("opened_at", "contacts_reminded_at"),
    "commitments_reply": (),
}
TABLE = "commitments_contentversion"
FUNCTION = "tracker_bump_content_version"


class ContentVersion(models.Model):
    """A single row (id 1): the version number and when it last moved."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField(default=0)
    # Milliseconds since the epoch; serves as Last-Modified.
    changed_ms = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "content version"

    def __str__(self):
        return f"content version {self.number}"

    @classmethod
    def current(cls):
        """(number, changed_ms): one primary-key read. (0, 0) before any content exists.

        SQL of its own, not a queryset: every public request, a 304 included, starts
        here, and building the ORM query cost twice the round trip itself. A 304 of the
        timeline in-process took 2.0 ms with the queryset, 1.3 ms with this.
        """
        with connection.cursor() as cursor:
            cursor.execute(_CURRENT_SQL)
            return cursor.fetchone() or (0, 0)

    @classmethod
    def bump(cls):
        """Move the version by hand (the triggers do this for every content write)."""
        with connection.cursor() as cursor:
            cursor.execute(_BUMP_SQL[connection.vendor])


_NOW_MS = {
    "postgresql": "(extract(epoch from clock_timestamp()) * 1000)::bigint",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}
_CURRENT_SQL = f"SELECT number, changed_ms FROM {TABLE} WHERE id = 1"  # noqa: S608
# Every name in the generated SQL below is a constant of this module, never user input.
_BUMP_SQL = {
    vendor: (
        f"INSERT INTO {TABLE} (id, number, changed_ms) VALUES (1, 1, {now}) "  # noqa: S608
        f"ON CONFLICT (id) DO UPDATE SET number = {TABLE}.number + 1, "
        "changed_ms = excluded.changed_ms"
    )
    for vendor, now in _NOW_MS.items()
}


def _watched_columns(connection, table, excluded):
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in columns if column.name not in excluded]


def _trigger_names(table):
    return [f"tracker_content_{table}_{op}" for op in ("ins", "del", "upd", "trunc")]


def _existing(connection):
    """The watched tables that exist now: an older migration (re)installing the triggers
    runs before the migrations that create later public tables."""
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    return [table for table in PUBLIC_TABLES if table in present]


def drop_triggers(schema_editor):
    connection = schema_editor.connection
    for table in _existing(connection):
        for name in _trigger_names(table):
            if connection.vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_triggers(schema_editor):
    """(Re)create the triggers on every table in ``PUBLIC_TABLES``, for its current columns."""
    connection = schema_editor.connection
    if connection.vendor not in _BUMP_SQL:
        raise NotImplementedError(f"No content-version triggers for {connection.vendor}")
    drop_triggers(schema_editor)
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ "
            f"BEGIN {_BUMP_SQL['postgresql']}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for table in _existing(connection):
        excluded = PUBLIC_TABLES[table]
        columns = ", ".join(quote(c) for c in _watched_columns(connection, table, excluded))
        ins, dele, upd, trunc = _trigger_names(table)
        if connection.vendor == "postgresql":
            # Per statement: a bulk import or COPY moves the version once, not per row.
            run = f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            schema_editor.execute(f"CREATE TRIGGER {ins} AFTER INSERT ON {table} {run}")
            schema_editor.execute(f"CREATE TRIGGER {dele} AFTER DELETE ON {table} {run}")
            schema_editor.execute(f"CREATE TRIGGER {trunc} AFTER TRUNCATE ON {table} {run}")
            schema_editor.execute(
                f"CREATE TRIGGER {upd} AFTER UPDATE OF {columns} ON {table} {run}"
            )
        else:
            # SQLite has row triggers only, and no UPSERT inside a trigger body.
            body = (
                f"BEGIN INSERT OR IGNORE INTO {TABLE} (id, number, changed_ms) VALUES (1, 0, 0); "  # noqa: S608
                f"UPDATE {TABLE} SET number = number + 1, changed_ms = {_NOW_MS['sqlite']} "
                "WHERE id = 1; END"
            )
            schema_editor.execute(f"CREATE TRIGGER {ins} AFTER INSERT ON {table} {body}")
            schema_editor.execute(f"CREATE TRIGGER {dele} AFTER DELETE ON {table} {body}")
            schema_editor.execute(
                f"CREATE TRIGGER {upd} AFTER UPDATE OF {columns} ON {table} {body}"
            )
