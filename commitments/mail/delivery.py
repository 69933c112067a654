"""Sending Notification rows by email: at-least-once, and never the same row twice at once.

The database is the source of truth; a broker message only says "look at these ids".

Sending a batch (``send_batch``):
1. Claim: ``UPDATE … SET status='sending', claim_token=<new token> WHERE pk IN (ids)
   AND status='pending' AND retry_after has passed``. Rows another worker claimed, or
   already sent, are not touched, so a task delivered twice sends nothing the second time.
   (A task run again after losing the database also takes back the rows it still holds
   under its own token: see ``tasks.send_notifications``.)
2. Build each message (``commitments.mail.messages``). A reminder no longer true (verdict
   recorded, deadline moved) is marked skipped; a message that cannot be built is failed.
3. Send over ONE SMTP connection. Rows the server accepted are marked sent every
   MARK_SENT_EVERY messages and when the batch ends, however it ends. Each group of
   marks is an ordinary, synchronous commit: durable once it returns, even if
   PostgreSQL crashes the next moment.
   Each row has its own outcome; a refusal of one message does not touch the others.
   - Permanent refusal (a 5xx reply to MAIL, RCPT or DATA): failed at once, with the
     server's code and words as ``last_error`` (the Notification admin shows it).
   - Transient (any 4xx, e.g. greylisting's 451 at RCPT; timeout; connection lost): back
     to pending with attempts + 1 and ``retry_after`` = the moment of this failure +
     exponential backoff (capped, with jitter); failed once the row's first failure
     (``failing_since``) is TRACKER_EMAIL_RETRY_LIFETIME_HOURS old (3 days by default).
     A 421 closes the session, so the batch opens a new one; a lost connection ends the
     batch: the remaining rows go back the same way.

Recovery (``recover``, run by every deadline sweep) re-queues pending rows whose backoff is
over or whose broker message was lost (never queued, or queued more than
TRACKER_EMAIL_REQUEUE_AFTER_SECONDS ago and still pending), and puts rows stuck in
"sending" longer than TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS (worker killed mid-batch)
back to pending.

The duplicate window. Rows the SMTP server accepted are marked sent in groups of
MARK_SENT_EVERY, each group an ordinary synchronous commit. If a worker process dies, or
loses the database, after the server accepted messages but before their group's commit,
those rows stay "sending" and are sent again. So at most MARK_SENT_EVERY (20) duplicates
per worker process: 40 per worker at the default WORKER_CONCURRENCY of 2. A database that
goes away is only noticed at the group's commit, so a crash uses the whole window:
measured 40 duplicates of 1,000 with one worker (``pg_ctl stop -m immediate`` mid fan-out,
tests/reminders/test_database_crash.py) and 80 of 3,000 with two (the compose smoke check's
crash drill), 0 lost. The same task's next run resends the
group at once (see ``tasks.send_notifications``); after a killed process the sweep does it
after TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS. A failure the worker survives, a time limit or
a warm shutdown all mark what was accepted: it takes a crash. Marking first instead would
silently lose the email, and a missed deadline reminder costs more than a repeated one.
Each row's Message-ID is fixed, so mail clients usually fold such a repeat into one.
(Marks used to be asynchronous commits, lost by a PostgreSQL crash: a crash mid fan-out
gave 100 duplicates at two workers instead of at most 80. One synchronous commit per group
of 20 costs no fan-out speed we can measure: ``make bench``'s fan-out, 10,000 followers,
651 msg/s asynchronous and 687 synchronous; 3,000 followers, 498-653 and 504-608 msg/s over
three runs each, on a shared 2-core machine.)
"""

import logging
import random
import smtplib
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from commitments.mail import builders, messages
from commitments.models import Notification

logger = logging.getLogger(__name__)

# Rows the SMTP server accepted are marked sent in groups of this many: one UPDATE per
# message was a quarter of a message's sending time. See "The duplicate window" above.
MARK_SENT_EVERY = 20
RECOVER_LIMIT = 1000

Status = Notification.Status


def enqueue(notification_ids):
    """Queue delivery of these rows, in batches, once the current transaction commits.

    Rolled back → nothing is queued. A broker failure is logged, not raised: the rows
    are committed, and the next sweep's ``recover`` queues them again.
    """
    ids = sorted(set(notification_ids))
    if not ids:
        return
    Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(queued_at=timezone.now())
    publish(ids)


def publish(ids):
    """``enqueue`` for rows written with ``queued_at`` already set (a fan-out's new rows:
    updating 10,000 rows just inserted took as long as inserting them)."""
    # One task, and so one SMTP connection, per batch (TRACKER_DELIVERY_BATCH_SIZE rows).
    ids = sorted(set(ids))
    size = settings.TRACKER_DELIVERY_BATCH_SIZE
    for start in range(0, len(ids), size):
        transaction.on_commit(partial(_publish, ids[start : start + size]))


def _publish(batch):
    # Imported here, not above: the task module calls this one (send_batch), and queueing is
    # the one step of delivery that needs the task.
    from commitments.mail.tasks import send_notifications

    try:
        send_notifications.delay(batch)
    except Exception:
        logger.exception("Could not queue notifications %s; the next sweep re-queues them", batch)


def sending_timeout():
    """A row "sending" longer than this was left by a dead worker (see ``recover``)."""
    return timedelta(seconds=settings.TRACKER_EMAIL_SENDING_TIMEOUT_SECONDS)


def requeue_after():
    """A pending row queued longer ago than this is assumed lost by the broker."""
    return timedelta(seconds=settings.TRACKER_EMAIL_REQUEUE_AFTER_SECONDS)


def retry_lifetime():
    """How long after its first transient failure a row is still retried."""
    return timedelta(hours=settings.TRACKER_EMAIL_RETRY_LIFETIME_HOURS)


def backoff(attempts):
    """Delay before retry number ``attempts``: doubling, capped, with ±50% jitter.

    The exponent is capped too: days of attempts would overflow the doubling.
    """
    base = settings.TRACKER_EMAIL_RETRY_SECONDS * 2 ** min(attempts - 1, 30)
    cap = settings.TRACKER_EMAIL_RETRY_MAX_SECONDS
    return timedelta(seconds=min(base, cap) * random.uniform(0.5, 1.5))  # noqa: S311


def reply_codes(exc):
    """The SMTP reply codes behind ``exc``: one per refused recipient, else the command's.

    smtplib raises SMTPRecipientsRefused when every recipient of a message is refused
    (here a message has one), whatever the code: greylisting's 450/451 lands there too.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in exc.recipients.values()]
    code = getattr(exc, "smtp_code", None)
    return [code] if isinstance(code, int) else []


def is_permanent(exc):
    """Only a 5xx reply about this message is final; a 4xx at MAIL, RCPT or DATA is
    "try again later" (greylisting, a full mailbox, a busy server)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # our configuration, not the message: fixable, so keep retrying
    codes = reply_codes(exc)
    return bool(codes) and all(500 <= code < 600 for code in codes)


def keeps_connection(exc):
    """After this error, is the SMTP session still usable for the next message?

    smtplib resets the session after a refused MAIL, RCPT or DATA, except after 421
    ("closing the connection"), which ``send_batch`` answers by opening a new one.
    """
    return isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException)


def closes_connection(exc):
    return 421 in reply_codes(exc)


def describe(exc):
    """The error as staff read it in the admin: the server's own code and words."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        detail = str(exc)
    return f"{type(exc).__name__}: {detail}"[:2000]


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class Batch:
    """The rows one send task claimed, and the bookkeeping for each outcome."""

    def __init__(self, ids, now=None, claim_token=None):
        self._started = timezone.now()
        self.now = now or self._started
        self.token = claim_token or uuid.uuid4().hex
        claimable = Q(status=Status.PENDING) & (
            Q(retry_after__isnull=True) | Q(retry_after__lte=self.now)
        )
        if claim_token:
            # A task run again after losing the database resumes the rows it had claimed
            # (see tasks.send_notifications), rather than leave them to the sending timeout.
            claimable |= Q(status=Status.SENDING, claim_token=claim_token)
        Notification.objects.filter(claimable, pk__in=list(ids)).update(
            status=Status.SENDING, claimed_at=self.now, claim_token=self.token
        )
        self.rows = list(
            Notification.objects.filter(claim_token=self.token, status=Status.SENDING)
            .select_related("pledge__company", "event__disbursement", "user", "subscriber")
            .order_by("pk")
        )
        self.outcome = {}
        self._accepted = []  # sent, not yet marked

    def _mark(self, row, outcome, **fields):
        updated = Notification.objects.filter(
            pk=row.pk, claim_token=self.token, status=Status.SENDING
        ).update(**fields)
        if not updated:
            # Recovery decided we were dead and handed the row on: a duplicate is possible.
            logger.warning("Notification %s was re-claimed while this worker held it", row.pk)
        self.outcome[row.pk] = outcome

    def sent(self, row):
        """Accepted by the SMTP server: marked sent with the next group (see ``flush_sent``)."""
        self.outcome[row.pk] = "sent"
        self._accepted.append(row)
        if len(self._accepted) >= MARK_SENT_EVERY:
            self.flush_sent()

    def flush_sent(self):
        """Mark the accepted rows sent, in one statement."""
        rows, self._accepted = self._accepted, []
        if not rows:
            return
        updated = Notification.objects.filter(
            pk__in=[row.pk for row in rows], claim_token=self.token, status=Status.SENDING
        ).update(
            status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
        if updated != len(rows):
            # Recovery decided we were dead and handed rows on: duplicates are possible.
            pks = [row.pk for row in rows]
            logger.warning("%s of notifications %s were re-claimed", len(rows) - updated, pks)
        for row in rows:
            logger.info("Notification %s sent (%s to %s)", row.pk, row.kind, row.recipient)

    def skipped(self, row, reason):
        self._mark(row, "skipped", status=Status.SKIPPED, last_error=reason)
        logger.info("Notification %s skipped: %s", row.pk, reason)

    def failed(self, row, error):
        self._mark(
            row, "failed", status=Status.FAILED, attempts=F("attempts") + 1, last_error=error
        )
        logger.error("Notification %s failed permanently: %s", row.pk, error)

    def clock(self):
        """Now, on the batch's clock (``now`` may be given, e.g. by a test)."""
        return self.now + (timezone.now() - self._started)

    def retry_later(self, row, error):
        """Back to pending until the backoff, counted from this failure, is over; failed
        once the first failure of the run is older than the retry lifetime."""
        failed_at = self.clock()
        attempts = row.attempts + 1
        since = row.failing_since or failed_at
        if failed_at - since >= retry_lifetime():
            hours = (failed_at - since).total_seconds() / 3600
            self.failed(row, f"Gave up after {attempts} attempts in {hours:.0f} hours. {error}")
            return
        retry_after = failed_at + backoff(attempts)
        self._mark(
            row,
            "retry",
            status=Status.PENDING,
            attempts=attempts,
            last_error=error,
            retry_after=retry_after,
            failing_since=since,
            queued_at=None,
            claim_token="",
        )
        logger.warning(
            "Notification %s attempt %s failed, retrying after %s: %s",
            row.pk,
            attempts,
            retry_after.isoformat(timespec="seconds"),
            error,
        )


def send_batch(ids, now=None, claim_token=None):
    """Send the given Notification rows that are still pending (or still claimed with
    ``claim_token``, by an earlier run of the same task). Returns {id: outcome}."""
    batch = Batch(ids, now, claim_token)
    ready = []
    try:
        builders.prepare(batch.rows)
    except Exception:
        # The builders make the same checks one row at a time.
        logger.exception("Preparing notifications %s failed", [row.pk for row in batch.rows])
    for row in batch.rows:
        try:
            ready.append((row, builders.build_message(row)))
        except messages.Obsolete as exc:
            batch.skipped(row, str(exc))
        except messages.Undeliverable as exc:
            batch.failed(row, str(exc))
        except Exception as exc:
            logger.exception("Could not build notification %s", row.pk)
            batch.failed(row, f"Could not build the message. {describe(exc)}")
    if not ready:
        return batch.outcome

    connection = get_connection(fail_silently=False)
    remaining = list(ready)
    try:
        connection.open()
        while remaining:
            row, message = remaining[0]
            message.connection = connection
            try:
                accepted = connection.send_messages([message])
            except Exception as exc:
                if not (is_permanent(exc) or keeps_connection(exc)):
                    raise
                remaining.pop(0)
                if is_permanent(exc):
                    batch.failed(row, describe(exc))
                else:
                    batch.retry_later(row, describe(exc))
                if closes_connection(exc) and remaining:
                    # One message's 421 must not hold back the others: a new session.
                    connection.close()
                    connection.open()
                continue
            remaining.pop(0)
            if accepted:
                batch.sent(row)
            else:
                batch.failed(row, "The message has no recipient.")
    except Exception as exc:
        # Connection lost, timed out, or the task's soft time limit: nothing left in this
        # batch can go out now. Everything not yet sent waits for its backoff.
        error = describe(exc)
        for row, _ in remaining:
            batch.retry_later(row, error)
    finally:
        try:
            # Before anything else: what the server accepted must not be sent again.
            batch.flush_sent()
        finally:
            try:
                connection.close()
            except Exception:
                logger.debug("Closing the SMTP connection failed", exc_info=True)
    return batch.outcome


def recover(now=None):
    """Re-queue what no worker will send on its own. Returns how many rows were queued."""
    now = now or timezone.now()
    stuck = Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - sending_timeout()
    )
    error = "The worker stopped while sending; sent again (it may have arrived already)."
    # A row that keeps killing its worker counts as failing: it, too, stops at the lifetime.
    stuck.filter(failing_since__lt=now - retry_lifetime()).update(
        status=Status.FAILED, attempts=F("attempts") + 1, last_error=error, claim_token=""
    )
    stuck.update(
        status=Status.PENDING,
        attempts=F("attempts") + 1,
        last_error=error,
        failing_since=Coalesce("failing_since", Value(now)),
        claim_token="",
        queued_at=None,
    )
    ids = list(
        Notification.objects.filter(status=Status.PENDING)
        .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after()))
        .order_by("pk")
        .values_list("pk", flat=True)[:RECOVER_LIMIT]
    )
    if ids:
        logger.info("Re-queueing %s notification(s): %s", len(ids), ids[:50])
        enqueue(ids)
    return len(ids)


def retry_failed(queryset):
    """Give failed rows a fresh start (the admin's "retry" action). Returns how many."""
    ids = list(queryset.filter(status=Status.FAILED).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, status=Status.FAILED).update(
        status=Status.PENDING,
        attempts=0,
        retry_after=None,
        failing_since=None,
        queued_at=None,
        claim_token="",
    )
    enqueue(ids)
    return len(ids)
