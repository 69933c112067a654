"""Whole-table files: /pledges.csv, /pledges.json and /deadlines.ics, built by a task.

What this module guarantees:

- **No reader waits for a whole-table build.** The beat task ``commitments.build_exports``
  runs every minute and rebuilds the three files only when the content version (or the
  day, which moves "overdue" and the calendar's window) changed since the last build: at
  most one build a minute, and a change is in the files a minute or so (plus the build
  time) after it is committed. The views serve the files with ETag, Last-Modified, 304s
  and a gzip variant, without touching the database.
- **A file is complete or absent.** Each is written to a temporary file in the same
  directory, flushed to disk and moved into place with ``os.replace`` (atomic on POSIX):
  a request during a build reads the previous complete file, never a half-written one.
- **One build at a time** per directory: an ``flock`` on a lock file there. A second
  build (a slow tick overlapping the next) skips rather than waits.
- **The same content as the live views**: the same querysets and records
  (``records.pledge_record``, ``ics.build_calendar``), so only published pledges appear.

The recorded version is read *before* the data: a change committed while a build runs
is either in the files or makes the next tick build again, never lost.

When no file exists yet (a fresh install before the first tick, the tests) the views
build their answer in the request as before; see ``views/downloads.py``.
"""

import contextlib
import csv
import datetime as dt
import fcntl
import gzip
import json
import os
import re
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from commitments.domain import calendar
from commitments.domain.spreadsheets import inert_cell
from commitments.models import Pledge
from commitments.public import caching, ics
from commitments.public import listing as timeline
from commitments.public import records as opendata

EXPORT_CHUNK = 2000

# The site-wide calendar is for subscribing, and calendar apps refuse big feeds: Google
# Calendar stops refreshing a subscription of more than about 1 MB, Outlook.com about
# the same. An event here is 400–800 bytes, so 1,000 events stay well under that. The
# nearest upcoming deadlines come first, then the most recent past ones (a reader who
# missed a day still sees it). Each company's own calendar keeps all of its deadlines.
CALENDAR_MAX_EVENTS = 1000
CALENDAR_AHEAD_DAYS = 730
CALENDAR_PAST_DAYS = 365
CALENDAR_NAME = "Pledge deadlines — Commitment Tracker"
CALENDAR_COVERS = (
    "Deadlines of published pledges from one year ago to two years ahead, "
    f"at most {CALENDAR_MAX_EVENTS:,} (the nearest upcoming first): calendar apps stop "
    "refreshing bigger feeds. Each company's own calendar has all of its deadlines. Pledges "
    "with no end date (never stated, or extended until further notice) have no deadline to show."
)

VERSION_FILE = "built-version.txt"
LOCK_FILE = ".build.lock"
_GZIP = re.compile(r"\bgzip\b")


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    return "" if value is None else inert_cell(value)


def export_queryset(filters):
    pledges = timeline.with_deadline_moves(timeline.public_pledges(filters))
    return pledges.select_related("company").order_by("pk")


def csv_chunks(pledges):
    writer = csv.writer(_Echo())
    fields = list(opendata.PLEDGE_FIELDS)
    yield writer.writerow(fields)
    for pledge in pledges.iterator(chunk_size=EXPORT_CHUNK):
        record = opendata.pledge_record(pledge)
        yield writer.writerow([_cell(record[field]) for field in fields])


def json_chunks(pledges):
    yield '{"pledges": ['
    for n, pledge in enumerate(pledges.iterator(chunk_size=EXPORT_CHUNK)):
        yield ("," if n else "") + json.dumps(opendata.pledge_record(pledge))
    yield "]}"


def calendar_pledges(pledges):
    """``pledges`` as the rows ``ics.build_calendar`` writes: dicts of its columns and
    the company's name, by deadline. Rows rather than model instances: the biggest
    company's calendar (346 kB) answered in a quarter less time (in one process,
    alternating old and new), the same bytes."""
    return pledges.order_by("deadline", "pk").values(*ics.CALENDAR_COLUMNS)


def site_calendar():
    """The site-wide calendar (bytes): the capped window described in CALENDAR_COVERS."""
    today = calendar.today()
    published = calendar_pledges(Pledge.objects.published())
    upcoming = list(
        published.filter(
            deadline__gte=today, deadline__lte=today + dt.timedelta(days=CALENDAR_AHEAD_DAYS)
        )[:CALENDAR_MAX_EVENTS]
    )
    room = CALENDAR_MAX_EVENTS - len(upcoming)
    since = today - dt.timedelta(days=CALENDAR_PAST_DAYS)
    past = published.filter(deadline__gte=since, deadline__lt=today).order_by("-deadline", "-pk")
    recent = list(past[:room]) if room else []
    return ics.build_calendar(
        [*reversed(recent), *upcoming], name=CALENDAR_NAME, description=CALENDAR_COVERS
    )


# name → (content type, Content-Disposition, chunks of text to write)
FILES = {
    "pledges.csv": (
        "text/csv; charset=utf-8",
        'attachment; filename="pledges.csv"',
        lambda: csv_chunks(export_queryset({})),
    ),
    "pledges.json": (
        "application/json",
        'attachment; filename="pledges.json"',
        lambda: json_chunks(export_queryset({})),
    ),
    "deadlines.ics": (
        "text/calendar; charset=utf-8",
        'inline; filename="deadlines.ics"',
        lambda: [site_calendar()],
    ),
}


def export_dir():
    return Path(settings.TRACKER_EXPORT_DIR)


def built_version(directory=None):
    """The content version the files in ``directory`` were built from, or None."""
    try:
        return ((directory or export_dir()) / VERSION_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def _temporary(directory, name):
    """A temporary file beside ``name``, moved over it on success, removed on failure."""
    handle = tempfile.NamedTemporaryFile(dir=directory, prefix=f".{name}.", delete=False)  # noqa: SIM115
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, directory / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


def write_file(directory, name, chunks):
    """Write ``name`` and ``name.gz`` from ``chunks`` in one pass, each atomically."""
    with (
        _temporary(directory, name) as plain,
        _temporary(directory, f"{name}.gz") as packed,
        # mtime=0: the same content gives the same bytes.
        gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as zipped,
    ):
        for chunk in chunks:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            plain.write(data)
            zipped.write(data)


@contextlib.contextmanager
def _build_lock(directory):
    with open(directory / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_all(*, force=False, version=None):
    """Build every whole-table file unless they are already of the current version.

    ``version``: the content version to record, read by a caller before it read content of
    its own for the same change (the beat task, for the search vocabulary): a change made in
    between then leaves the version behind, and the next tick rebuilds both.

    Returns what it did: ``{"built": bool, "reason" or "version" and "seconds"}``.
    """
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory) as held:
        if not held:
            return {"built": False, "reason": "another build is running"}
        version = version or caching.content_version()[0]
        if not force and built_version(directory) == version:
            return {"built": False, "reason": "unchanged"}
        started = time.perf_counter()
        for name, (_type, _disposition, chunks) in FILES.items():
            write_file(directory, name, chunks())
        # Last: a build that failed half-way leaves the old version, so the next tick retries.
        with _temporary(directory, VERSION_FILE) as record:
            record.write(version.encode())
        return {"built": True, "version": version, "seconds": time.perf_counter() - started}


def serve(request, name):
    """The prebuilt ``name`` as a file response (a 304 when the client has it), or None
    when it has not been built yet. No database query."""
    content_type, disposition, _chunks = FILES[name]
    directory = export_dir()
    wants_gzip = bool(_GZIP.search(request.headers.get("Accept-Encoding", "")))
    for filename, encoding in ((f"{name}.gz", "gzip"), (name, None)):
        if encoding and not wants_gzip:
            continue
        try:
            # Open first, then stat the open file: the validators describe exactly the
            # bytes sent even if a build replaces the file meanwhile.
            handle = open(directory / filename, "rb")  # noqa: SIM115 (FileResponse closes it)
        except FileNotFoundError:
            continue
        stat = os.fstat(handle.fileno())
        suffix = "-gz" if encoding else ""
        etag = quote_etag(f"{stat.st_mtime_ns:x}-{stat.st_size:x}{suffix}")
        last_modified = int(stat.st_mtime)
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            handle.close()
            response = not_modified
        else:
            response = FileResponse(handle, content_type=content_type)
            response["Content-Disposition"] = disposition
            if encoding:
                response["Content-Encoding"] = encoding
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = "public, no-cache"
        response["Vary"] = "Accept-Encoding"
        return response
    return None
