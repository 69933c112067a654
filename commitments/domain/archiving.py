"""The archiver: a snapshot of every new source in a public web archive.

The service is the Internet Archive's Save Page Now (SPN2) API at ``TRACKER_ARCHIVE_URL``
(off when empty: the default in development and tests). A capture is two steps: POST the
source's URL, which answers with a job id; then GET ``<TRACKER_ARCHIVE_URL>/status/<job>``
until it says "success" with the snapshot's timestamp, which gives the archived copy's
address, ``<archive host>/web/<timestamp>/<url>``.

Which sources: every source without an archived copy is due from the moment it is
created (``Source.archive_due_at`` defaults to now, whichever way it was added), and the
code that adds one in the admin queues ``archive_source`` after commit so it goes at
once. An archived copy typed by staff is theirs: the archiver never replaces it
(``SourceQuerySet.archived_by_us``).

One attempt on one source (``archive_once``):
1. Claim it: ``UPDATE … SET archive_due_at = now + LEASE WHERE pk = … AND archive_due_at <=
   now`` (and no typed copy). Zero rows: another worker has it, or it is not due.
2. Take a place in the archive host's budget (``linkcheck.spend``); none left, it is due
   again in a minute (when a 429 holds the host, at the hold's end), nothing counted.
3. Submit (or, with a job, poll). Success writes ``archive_url`` and ``archived_at``
   (public: the content version moves) and clears the rest.
4. Anything else is written on the row, visible in the admin: "still capturing" polls
   again soon; a 429 waits for its Retry-After, and so does every other source (the
   archive host's budget is spent until then, ``linkcheck.hold_host_as_asked``); a failure waits ``BACKOFF`` ×2 per attempt
   (≤ ``MAX_BACKOFF``) and after ``MAX_ATTEMPTS`` stops (staff can "archive now").
The returned ``retry_in`` is what the Celery task retries with, up to ``TASK_RETRY_MAX``;
the row holds the same due time, so the minute sweep (``archive_due_sources``) picks up a
longer wait, and any retry the broker lost.
A worker that dies mid-attempt leaves the row claimed until the lease ends.
"""

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.utils import timezone

from commitments.domain import fetching, linkcheck
from commitments.models import Source

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
POLL = timedelta(seconds=20)
MAX_ATTEMPTS = 10
# Longer waits are left to the minute sweep: a countdown past the broker's visibility
# timeout (an hour on Redis) is delivered again every hour until it is due.
TASK_RETRY_MAX = timedelta(minutes=10)


def enabled():
    return bool(settings.TRACKER_ARCHIVE_URL)


@dataclasses.dataclass
class Outcome:
    result: str  # archived | capturing | rate-limited | failed | gave-up | busy | not-due | off
    retry_in: float | None = None  # seconds until the next attempt, if there is one


class _Failure(Exception):
    pass


class _RateLimited(Exception):
    def __init__(self, wait):
        super().__init__(f"The archive asked us to wait {int(wait.total_seconds())} s (429).")
        self.wait = wait


def _headers():
    headers = {"Accept": "application/json"}
    if settings.TRACKER_ARCHIVE_ACCESS_KEY:
        headers["Authorization"] = (
            f"LOW {settings.TRACKER_ARCHIVE_ACCESS_KEY}:{settings.TRACKER_ARCHIVE_SECRET_KEY}"
        )
    return headers


def _call(url, *, extra_headers=None, **kwargs):
    """One request to the archive service; its JSON answer, or _Failure / _RateLimited."""
    try:
        response = fetching.fetch(
            url,
            headers={**_headers(), **(extra_headers or {})},
            before_request=linkcheck.spend,
            **kwargs,
        )
    except fetching.FetchError as exc:
        raise _Failure(f"The archive could not be reached: {exc}") from exc
    if response.status == 429:
        # The archive as a whole asked us to wait, not just for this page.
        raise _RateLimited(linkcheck.hold_host_as_asked(response))
    if not 200 <= response.status < 300:
        raise _Failure(f"The archive answered HTTP {response.status}.")
    try:
        answer = json.loads(response.body)
    except ValueError as exc:
        raise _Failure("The archive's answer was not JSON.") from exc
    if not isinstance(answer, dict):
        raise _Failure("The archive's answer was not a JSON object.")
    return answer


def _snapshot_url(original, stamp):
    parts = urlsplit(settings.TRACKER_ARCHIVE_URL)
    return f"{parts.scheme}://{parts.netloc}/web/{stamp}/{original}"


def _stamp_time(stamp):
    """The archive's timestamp (YYYYMMDDhhmmss, UTC) as a datetime; None if it is not one."""
    try:
        return datetime.strptime(stamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _attempt(source):
    """Submit or poll; returns (archive_url, archived_at) or the job id still capturing."""
    base = settings.TRACKER_ARCHIVE_URL.rstrip("/")
    if source.archive_job:
        answer = _call(f"{base}/status/{source.archive_job}")
    else:
        answer = _call(
            base,
            method="POST",
            content=urlencode({"url": source.url}).encode(),
            extra_headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if answer.get("job_id") and answer.get("status") != "error":
            return str(answer["job_id"])[:100]
    status = answer.get("status")
    if status == "success" and answer.get("timestamp"):
        stamp = str(answer["timestamp"])
        if not stamp.isdigit():
            raise _Failure("The archive's timestamp was not a timestamp.")
        original = answer.get("original_url") or source.url
        return _snapshot_url(original, stamp), _stamp_time(stamp) or timezone.now()
    if status == "pending" and source.archive_job:
        return source.archive_job
    reason = answer.get("message") or answer.get("status_ext") or "no snapshot made"
    raise _Failure(f"The archive could not capture the page: {str(reason)[:300]}")


def archive_once(source_id):
    """One attempt to archive one source (steps in the module docstring)."""
    if not enabled():
        return Outcome("off")
    now = timezone.now()
    claimed = Source.objects.due_for_archive(now).filter(pk=source_id)
    if claimed.update(archive_due_at=now + LEASE) != 1:
        return Outcome("not-due")
    source = Source.objects.get(pk=source_id)
    mine = Source.objects.archived_by_us().filter(pk=source_id)
    try:
        result = _attempt(source)
    except linkcheck.OverBudget as exc:
        # In a minute, as every source waiting for the budget (not all at each place that
        # frees); when a 429 holds the host, at the hold's end rather than every minute.
        wait = exc.wait if exc.held else timedelta(minutes=1)
        mine.update(archive_due_at=timezone.now() + wait)
        return Outcome("busy", retry_in=wait.total_seconds())
    except _RateLimited as exc:
        mine.update(archive_due_at=timezone.now() + exc.wait, archive_error=str(exc))
        return Outcome("rate-limited", retry_in=exc.wait.total_seconds())
    except _Failure as exc:
        attempts = source.archive_attempts + 1
        if attempts >= MAX_ATTEMPTS:
            mine.update(
                archive_due_at=None, archive_attempts=attempts, archive_error=str(exc)[:500]
            )
            logger.warning("Gave up archiving source %s: %s", source_id, exc)
            return Outcome("gave-up")
        wait = min(BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
        mine.update(
            archive_due_at=timezone.now() + wait,
            archive_attempts=attempts,
            archive_error=str(exc)[:500],
            archive_job="",  # a failed job is submitted afresh
        )
        return Outcome("failed", retry_in=wait.total_seconds())
    if isinstance(result, str):  # a job id: the capture is under way
        mine.update(archive_due_at=timezone.now() + POLL, archive_job=result, archive_error="")
        return Outcome("capturing", retry_in=POLL.total_seconds())
    archive_url, archived_at = result
    mine.update(
        archive_url=archive_url[:1000],
        archived_at=archived_at,
        archive_due_at=None,
        archive_job="",
        archive_error="",
        archive_attempts=0,
    )
    return Outcome("archived")


def archive_due_sources(*, limit=10):
    """The minute sweep: attempts for sources due (new ones whose task was lost, retries)."""
    if not enabled():
        return {}
    now = timezone.now()
    ids = list(
        Source.objects.due_for_archive(now)
        .order_by("archive_due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = {}
    for pk in ids:
        outcome = archive_once(pk)
        outcomes[outcome.result] = outcomes.get(outcome.result, 0) + 1
        if outcome.result == "busy":
            break  # the archive's budget is spent until a place frees
    return outcomes


def request_now(sources):
    """Staff's "archive now" on a queryset: due at once, attempts reset; a copy staff typed
    is left alone. Returns the ids queued."""
    ids = list(sources.archived_by_us().values_list("pk", flat=True))
    Source.objects.filter(pk__in=ids).update(
        archive_due_at=timezone.now(), archive_attempts=0, archive_error="", archive_job=""
    )
    return ids
