"""The link checker: is every source still where it was cited?

Each source is checked once every ``TRACKER_SOURCE_CHECK_DAYS`` (7) in its own fixed slot
of the period (``models.sources.next_slot``), so checks are spread evenly — a few a
minute — and stay spread after downtime. A failing source is looked at again daily, so
it is called broken (``broken_since``) soon after it has failed for more than
``TRACKER_SOURCE_BROKEN_DAYS``; one success clears it. An archived copy is checked in the
same pass (``archive_check``), when the archive's host has budget left.

Politeness: every request (HEAD, the GET after it, each redirect) first takes a place in
its host's budget (``spend``): at most ``TRACKER_LINKCHECK_PER_HOST_PER_MINUTE``
requests to one host in any 60 seconds, counted in the database (``HostBudget``, row
locked), so the limit holds across workers. A source whose host has no budget left
waits for a later run, nothing recorded for it. A site that answers 429 has its host's
budget spent until its Retry-After (a minute if it gives none, a day at most,
``hold_host_as_asked``); that source, which the answer says nothing about, is looked at
again within a day and is not counted as failing, and a source that meets the held host
is due again when the hold ends.

One run (``check_due_sources``, beat runs it every minute):
1. List the due sources (``next_check_at`` has come), oldest first, in keyset pages.
2. Claim each: ``UPDATE … SET next_check_at = now + LEASE WHERE pk = … AND
   next_check_at = <as listed>``. One row changed means this run owns it; zero means
   another run took it.
3. Check it; write its status with the next slot. A run that dies between 2 and 3
   leaves the row claimed: it is due again when the lease ends, so a crash rechecks
   nothing already recorded and skips nothing.
Only the columns a check changes are written (``Source.objects.filter().update()``), so
the content version moves only when a source turns broken or works again.

Staff hear of newly broken sources once a week, never one email per source
(``write_broken_sources_digest``): each Monday at TRACKER_DIGEST_HOUR (tracker time), one
Notification per Editor and Reviewer (or TRACKER_STAFF_EMAILS) lists the sources that
turned broken in the seven days before, with their pledges. A unique constraint on
(kind, that moment, recipient) makes it once however often the hourly task runs; the
usual delivery machinery sends it.
"""

import dataclasses
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from commitments.domain import calendar, digests, fetching, reminders
from commitments.mail import delivery
from commitments.models import HostBudget, Notification, Source
from commitments.models.sources import next_slot

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A granted place is held a little longer than the window: the request reaches the host a
# moment after it is granted, and the host counts by arrival.
MARGIN_SECONDS = 1.0
# A claimed source is due again after this if its run died before recording it.
LEASE = timedelta(minutes=10)
RECHECK_FAILING = timedelta(days=1)
# Longest one run keeps claiming sources (beat starts one a minute; overlap is harmless).
RUN_SECONDS = 50
PAGE = 500


class OverBudget(Exception):
    """The host has no place left in its budget for ``wait`` (a timedelta) more."""

    def __init__(self, host, wait):
        super().__init__(f"{host} has no requests left for {wait.total_seconds():.0f} s")
        self.host = host
        self.wait = wait

    @property
    def held(self):
        """A 429 holds the host past this minute: waiting for a busy minute to pass would
        only meet the hold again."""
        return self.wait > timedelta(seconds=WINDOW_SECONDS + MARGIN_SECONDS)


def take_request(host):
    """Take one place in ``host``'s budget; False when it has none left (``spend`` says
    for how long)."""
    return _take(host) is None


def _take(host):
    """Take one place in ``host``'s budget: None, or how long until a place frees (a
    timedelta: at most a minute, or the rest of a 429's hold)."""
    limit = settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE
    with transaction.atomic():
        budget, _ = HostBudget.objects.select_for_update().get_or_create(host=host)
        # Read the clock after the lock: a worker that waited for it must not grant
        # itself a place at a moment before the holder's.
        now = time.time()
        recent = sorted(t for t in budget.recent if t > now - WINDOW_SECONDS - MARGIN_SECONDS)
        if len(recent) >= limit:
            # A place frees when the count falls under the limit (held places all lapse
            # at the hold's end). Unknown, with no limit at all: a minute.
            frees = (
                recent[-limit] + WINDOW_SECONDS + MARGIN_SECONDS
                if limit > 0
                else now + WINDOW_SECONDS
            )
            return timedelta(seconds=max(frees - now, 1))
        budget.recent = [*recent, now]
        budget.save(update_fields=["recent"])
    return None


def hold_host(host, seconds):
    """Spend ``host``'s whole budget until ``seconds`` from now (a 429's Retry-After): no
    worker sends it anything before then. The places are dated so they lapse exactly then."""
    limit = settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE
    with transaction.atomic():
        budget, _ = HostBudget.objects.select_for_update().get_or_create(host=host)
        until = time.time() + seconds - WINDOW_SECONDS - MARGIN_SECONDS
        budget.recent = sorted([*budget.recent, *[until] * limit])[-limit:]
        budget.save(update_fields=["recent"])


def spend(host):
    """``before_request`` for the fetcher: raise instead of going over the budget."""
    wait = _take(host)
    if wait is not None:
        raise OverBudget(host, wait)


def host_of(url):
    return (urlsplit(url).hostname or "").lower()


@dataclasses.dataclass
class LinkCheckReport:
    checked: int = 0
    ok: int = 0
    failing: int = 0
    newly_broken: int = 0
    deferred: int = 0  # due, but its host had no budget left

    def as_dict(self):
        return dataclasses.asdict(self)


def _outcome(url):
    """(ok, status, error, final_url): ok is None when the answer says nothing (429)."""
    try:
        result = fetching.check(url, before_request=spend)
    except fetching.FetchError as exc:
        return False, None, str(exc)[:500], ""
    if result.status == 429:
        wait = hold_host_as_asked(result).total_seconds()
        return None, 429, f"Rate limited by the site (429): asked to wait {wait:.0f} s.", result.url
    ok = 200 <= result.status < 300
    error = "" if ok else f"HTTP {result.status}"
    return ok, result.status, error, result.url


def hold_host_as_asked(answer):
    """Hold the host of a 429 until its Retry-After, and return the wait (a timedelta).

    The site as a whole asked us to wait, not just for this page: no worker sends its host
    anything before then (a link-check run defers its other sources, the archiver waits)."""
    wait = fetching.retry_after(answer, timezone.now())
    hold_host(host_of(answer.url), wait.total_seconds())
    return wait


def record(source, ok, status, error, final_url, now):
    """Write one check's result; only the columns that change. Returns True if newly broken."""
    fields = {"last_checked_at": now, "last_status": status, "last_error": error}
    newly_broken = False
    if ok:
        fields.update(
            last_ok_at=now,
            final_url=final_url[:1000],
            next_check_at=next_slot(
                source.pk, now, timedelta(days=settings.TRACKER_SOURCE_CHECK_DAYS)
            ),
        )
        if source.first_failed_at is not None:
            fields["first_failed_at"] = None
        if source.broken_since is not None:
            fields["broken_since"] = None  # public: the page links the original again
    else:
        fields["next_check_at"] = next_slot(source.pk, now, RECHECK_FAILING)
        if ok is False:
            first = source.first_failed_at or now
            fields.update(first_failed_at=first, final_url=final_url[:1000])
            broken_after = timedelta(days=settings.TRACKER_SOURCE_BROKEN_DAYS)
            if source.broken_since is None and now - first > broken_after:
                fields["broken_since"] = now  # public: the page leads with the archived copy
                newly_broken = True
    Source.objects.filter(pk=source.pk).update(**fields)
    return newly_broken


def _check_archived_copy(source):
    try:
        result = fetching.check(source.archive_url, before_request=spend)
    except OverBudget:
        return  # checked another week
    except fetching.FetchError as exc:
        verdict = str(exc)
    else:
        verdict = f"HTTP {result.status}"
        if result.status == 429:
            # Copies usually live on the archive's own host: this holds the archiver too,
            # which is what the 429 asks.
            verdict += f": asked to wait {hold_host_as_asked(result).total_seconds():.0f} s"
    Source.objects.filter(pk=source.pk).update(archive_check=verdict[:200])


def _due_pages(now):
    """Due sources in (next_check_at, pk) order, a page at a time (no open cursor while
    the loop writes: SQLite would see its own updates mid-iteration)."""
    fields = ("pk", "url", "next_check_at", "first_failed_at", "broken_since", "archive_url")
    due = Source.objects.due_for_check(now).order_by("next_check_at", "pk").only(*fields)
    after = Q()
    while True:
        page = list(due.filter(after)[:PAGE])
        if not page:
            return
        yield from page
        last = page[-1]
        after = Q(next_check_at__gt=last.next_check_at) | Q(
            next_check_at=last.next_check_at, pk__gt=last.pk
        )


def check_due_sources(*, limit=None, run_seconds=RUN_SECONDS):
    """One run of the checker (steps in the module docstring)."""
    limit = settings.TRACKER_LINKCHECK_BATCH_SIZE if limit is None else limit
    report = LinkCheckReport()
    started = time.monotonic()
    now = timezone.now()
    busy = set()  # hosts out of budget for the rest of this run
    for source in _due_pages(now):
        if report.checked >= limit or time.monotonic() - started > run_seconds:
            break
        host = host_of(source.url)
        if host in busy:
            report.deferred += 1
            continue
        claimed = Source.objects.filter(pk=source.pk, next_check_at=source.next_check_at)
        if claimed.update(next_check_at=timezone.now() + LEASE) != 1:
            continue  # another run has it
        try:
            ok, status, error, final_url = _outcome(source.url)
        except OverBudget as exc:
            busy.add(exc.host)
            report.deferred += 1
            # Nothing learned. Due again as it was, first in line when its host has a place
            # again; but a host a 429 holds past this minute (for up to a day) has none
            # before the hold ends, so not claimed and let go by every run until then.
            due = source.next_check_at
            if exc.held:
                due = max(due, timezone.now() + exc.wait)
            Source.objects.filter(pk=source.pk).update(next_check_at=due)
            continue
        except SoftTimeLimitExceeded:
            raise  # the task is out of time: stop here (this row's lease brings it back)
        except Exception:
            # A poison row must not stop the run, nor come back every minute.
            logger.exception("Link check of source %s failed", source.pk)
            Source.objects.filter(pk=source.pk).update(
                next_check_at=timezone.now() + RECHECK_FAILING
            )
            continue
        checked_at = timezone.now()
        report.checked += 1
        report.ok += ok is True
        report.failing += ok is False
        report.newly_broken += record(source, ok, status, error, final_url, checked_at)
        if source.archive_url and host_of(source.archive_url) not in busy:
            _check_archived_copy(source)
    return report


# --- The weekly digest of newly broken sources ----------------------------------------------

DIGEST_GROUPS = ("Editors", "Reviewers")
WEEK = timedelta(days=7)  # calendar days, added to dates only


def digest_moment(now):
    """The latest Monday at TRACKER_DIGEST_HOUR on the tracker's wall clock, at or before
    ``now`` (the staff digests' hour, ``digests.digest_time``, right across DST changes)."""
    today = calendar.local_date(now)
    monday = today - timedelta(days=today.weekday())
    moment = digests.digest_time(monday)
    return moment if moment <= now else digests.digest_time(monday - WEEK)


def write_broken_sources_digest(now=None):
    """Write (once) this week's digest rows and queue them; returns the new rows' ids."""
    end = digest_moment(now or timezone.now())
    start = digest_moment(end - timedelta(microseconds=1))
    newly = Source.objects.broken().filter(broken_since__gte=start, broken_since__lt=end)
    if not newly.exists():
        return []
    recipients = reminders.staff_addresses(DIGEST_GROUPS)
    if not recipients:
        logger.warning("%s sources turned broken but no staff address to tell", newly.count())
        return []
    written = []
    for email, user in recipients:
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    kind=Notification.Kind.BROKEN_SOURCES,
                    occurrence=f"{start.isoformat()}/{end.isoformat()}",
                    recipient=email,
                    user=user,
                )
        except IntegrityError:
            continue  # written by an earlier run this week
        written.append(row.pk)
    delivery.enqueue(written)
    return written
