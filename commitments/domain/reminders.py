"""The deadline sweep: writes "deadline passed" and the staff reminders that fall due.

When each reminder falls due is decided by the pure rules in ``schedule``; this module
acts on them. The sweep reads only pledges whose ``next_reminder_at`` has come, through a
partial index, so its cost follows the due rows, not the table. What has been sent is
never kept on the pledge: the sweep reads it from the ``Notification`` rows of the
current deadline. So ``next_check_at`` (run on every save) may point at a moment already
handled — the sweep looks, finds nothing new, and moves the pledge on — and can never
cause a duplicate or reset the cadence.

A sweep takes up to ``SWEEP_BATCH`` due pledges and works on them together
(``sweep_batch``), in a constant number of statements whatever their number: the row
locks (``FOR UPDATE SKIP LOCKED``) and one conditional UPDATE make the claim, one INSERT
writes the events and one the Notifications. If anything in the batch fails, the batch
is rolled back and its pledges are swept one at a time as below, so a poison row costs
its batch the speed, never a reminder.

Sweeping one pledge, in one transaction:
1. Read the pledge and the reminders already written for its current deadline.
2. Decide what is due now (at most one reminder) and the next moment to look.
3. Claim the pledge: ``UPDATE … SET next_reminder_at = <next> WHERE pk = … AND
   next_reminder_at = <the moment we listed> AND updated_at = <as we read it>``. One row
   changed means this sweep owns the work; zero means another sweep (or an edit) got
   there first, so stop.
4. Write the "deadline passed" event (once: a constraint backs this up), one
   Notification per recipient (the unique constraint keeps them single), and
   queue their delivery (or hold them for the recipient's daily digest: ``digests``),
   and the event's subscriber alerts, after commit.
"""

import dataclasses
import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from commitments.alerts.tasks import fan_out_after_commit, fan_out_many_after_commit
from commitments.domain import digests, schedule
from commitments.mail import delivery
from commitments.models import Heartbeat, Notification, Pledge, PledgeEvent

logger = logging.getLogger(__name__)

REVIEWERS_GROUP = "Reviewers"
# A pledge whose sweep raised is looked at again after this, so it cannot crash-loop the sweep.
POISON_BACKOFF = dt.timedelta(hours=1)
SWEEP_BATCH = 500


def recipients(pledge, fallback=None):
    """Who is reminded about ``pledge``: [(email, user or None)].

    The owner; if none (or inactive, or without an address), every active Reviewer;
    if none, the TRACKER_STAFF_EMAILS addresses. May be empty: the sweep then logs a
    warning, still writes the "deadline passed" event (the public timeline needs it), and
    tries the same reminder again at the next overdue step, or sooner if the pledge is saved.
    ``fallback``: ``unowned_recipients()`` read once for many pledges.
    """
    owner = pledge.owner
    if owner is not None and owner.is_active and owner.email:
        return [(owner.email, owner)]
    return unowned_recipients() if fallback is None else fallback


def unowned_recipients():
    """Who is reminded about a pledge without an active owner (see ``recipients``)."""
    return staff_addresses([REVIEWERS_GROUP])


def staff_addresses(groups):
    """[(email, user or None)]: the active members of ``groups`` who have an address, one
    per address (the first account by id), else the TRACKER_STAFF_EMAILS addresses."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=groups)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    found = {}
    for user in users:
        found.setdefault(user.email.lower(), (user.email, user))
    if found:
        return list(found.values())
    return [(email, None) for email in dict.fromkeys(settings.TRACKER_STAFF_EMAILS)]


# --- The sweep ------------------------------------------------------------------------------


@dataclasses.dataclass
class SweepReport:
    checked: int = 0
    reminders: list = dataclasses.field(default_factory=list)  # "kind occurrence: pledge → n"
    events: int = 0
    unaddressed: int = 0  # reminders due with nobody to send them to
    errors: int = 0
    requeued: int = 0
    held: int = 0  # reminders held for their recipient's daily digest
    digests: int = 0

    def as_dict(self):
        return dataclasses.asdict(self)

    def lines(self):
        digested = (
            f"{self.held} held for a digest, {self.digests} digest(s) sent, "
            if self.held or self.digests
            else ""
        )
        yield (
            f"Checked {self.checked} pledge(s): {len(self.reminders)} reminder(s), "
            f"{self.events} deadline-passed event(s), {digested}{self.requeued} email(s) re-queued, "
            f"{self.unaddressed} with nobody to remind, {self.errors} error(s)."
        )
        yield from (f"  {line}" for line in self.reminders)


def sweep_deadlines(now=None):
    """The periodic job: remind about due pledges, re-queue stuck emails, record the run."""
    now = now or timezone.now()
    report = sweep_pledges(now)
    report.digests = digests.send_due(now)
    report.requeued = delivery.recover(now)
    Heartbeat.record(Heartbeat.SWEEP, timezone.now(), report.as_dict())
    logger.info("Deadline sweep: %s", next(report.lines()))
    return report


def sweep_pledges(now, report=None):
    """Sweep up to ``SWEEP_BATCH`` due pledges: as one batch (``sweep_batch``); if the batch
    fails (a poison row, a lost race), one pledge at a time, each in its own transaction."""
    report = report or SweepReport()
    due = list(
        Pledge.objects.filter(next_reminder_at__lte=now)
        .order_by("next_reminder_at", "pk")
        .values_list("pk", "next_reminder_at")[:SWEEP_BATCH]
    )
    if not due:
        return report
    batch = SweepReport()
    try:
        with transaction.atomic():
            sweep_batch(due, now, batch)
    except Exception as exc:
        logger.warning(
            "Batch sweep of %s pledges failed (%r); sweeping them one by one", len(due), exc
        )
    else:
        for field in dataclasses.fields(SweepReport):
            setattr(report, field.name, getattr(report, field.name) + getattr(batch, field.name))
        return report
    for pk, listed_at in due:
        report.checked += 1
        try:
            remind(pk, listed_at, now, report)
        except Exception:
            report.errors += 1
            logger.exception("Reminder sweep failed for pledge %s; trying again later", pk)
            Pledge.objects.filter(pk=pk, next_reminder_at=listed_at).update(
                next_reminder_at=now + POISON_BACKOFF
            )
    return report


class LostClaim(Exception):
    """A batch found a pledge changed under it: it is rolled back and swept pledge by pledge."""


def sweep_batch(due, now, report):
    """The steps of ``remind`` for many pledges at once, in a constant number of statements
    (call inside a transaction):
    1. lock the listed pledges that nobody else holds (``FOR UPDATE SKIP LOCKED``: a racing
       sweep takes the others) and read them and the reminders of their current deadlines;
    2. decide per pledge, in Python, what is due and the next moment to look (``schedule``);
    3. move ``next_reminder_at`` for every pledge in one conditional UPDATE (``CLAIM_SQL``:
       each row as it was read); if fewer rows match than were decided on, raise
       ``LostClaim`` (on SQLite, which has no row locks, that is how a concurrent edit shows);
    4. write the missing "deadline passed" events in one INSERT, every Notification in one
       INSERT (the unique constraint keeps them single), hand the new rows to
       ``digests.send_or_hold`` at once, and queue the new events' alerts as one task.
    """
    listed = dict(due)
    pledges = list(
        Pledge.objects.select_related("company", "owner")
        .select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=listed)
        .order_by("pk")
    )
    pledges = [p for p in pledges if p.next_reminder_at == listed[p.pk]]
    report.checked += len(pledges)
    written = defaultdict(list)
    notified = Notification.objects.staff_reminders().filter(pledge__in=[p.pk for p in pledges])
    for pledge_id, kind, occurrence, created_at in notified.values_list(
        "pledge_id", "kind", "occurrence", "created_at"
    ):
        written[pledge_id].append((kind, occurrence, created_at))

    moves, reminding, read = {}, [], {p.pk: p for p in pledges}
    for pledge in pledges:
        if not schedule.needs_reminders(pledge):
            moves[pledge.pk] = None
            continue
        prefix = pledge.deadline.isoformat()
        mine = [row for row in written[pledge.pk] if row[1].startswith(prefix)]
        due_now, moves[pledge.pk] = schedule.plan(pledge.deadline, now, mine)
        if due_now is not None:
            reminding.append((pledge, due_now))
    if not moves:
        return
    claimed = _claim(moves, {pk: read[pk] for pk in moves}, listed)
    if claimed != len(moves):
        raise LostClaim(f"{claimed} of {len(moves)} pledges claimed")

    events = _passed_events([(p, d) for p, d in reminding if d.kind == Notification.Kind.PASSED])
    report.events += sum(1 for event in events.values() if event.fresh)
    fallback = None
    rows = []
    for pledge, due_now in reminding:
        if pledge.owner is None or not (pledge.owner.is_active and pledge.owner.email):
            fallback = unowned_recipients() if fallback is None else fallback
        to = recipients(pledge, fallback)
        if not to:
            _nobody_to_remind(pledge, due_now, report)
            continue
        rows += _reminder_rows(pledge, due_now, events.get(pledge.pk), to)
        report.reminders.append(
            f"{due_now.kind} {due_now.occurrence}: {pledge} → {len(to)} recipient(s)"
        )
    if not rows:
        return
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = {(row.pledge_id, row.kind, row.occurrence) for row in rows}
    waiting = Notification.objects.filter(
        pledge__in={pk for pk, _, _ in keys},
        status=Notification.Status.PENDING,
        queued_at__isnull=True,
    ).values_list("pk", "pledge_id", "kind", "occurrence")
    ids = [pk for pk, *key in waiting if tuple(key) in keys]
    _, held = digests.send_or_hold(ids, now)
    report.held += held


def _passed_events(passing):
    """{pledge id: its current "deadline passed" event}, written (one INSERT) where missing;
    new ones are marked ``fresh`` and their alerts queued after commit."""
    if not passing:
        return {}
    deadlines = {pledge.pk: pledge.deadline for pledge, _ in passing}
    existing = PledgeEvent.objects.current().filter(
        pledge__in=deadlines, kind=PledgeEvent.Kind.DEADLINE_PASSED
    )
    events = {}
    for event in existing:
        if event.old_deadline == deadlines[event.pledge_id]:
            event.fresh = False
            events[event.pledge_id] = event
    new = [
        # Dated the first day the pledge is overdue, like Pledge.is_overdue.
        PledgeEvent(
            pledge=pledge,
            kind=PledgeEvent.Kind.DEADLINE_PASSED,
            old_deadline=pledge.deadline,
            occurred_on=pledge.deadline + dt.timedelta(days=1),
        )
        for pledge, _ in passing
        if pledge.pk not in events
    ]
    for event in PledgeEvent.objects.bulk_create(new):
        event.fresh = True
        events[event.pledge_id] = event
    fan_out_many_after_commit(new)
    return events


# The claim of a batch: each pledge's next moment, set only where the row is still as it was
# read. One statement (UPDATE … FROM is in PostgreSQL and SQLite ≥ 3.33; both name the
# columns of VALUES column1, column2…, and SQLite's driver counts rows only for a statement
# that starts with UPDATE, hence no WITH).
CLAIM_SQL = """
UPDATE commitments_pledge SET next_reminder_at = claim.next_at
FROM (
    SELECT column1 AS id, column2 AS listed_at, column3 AS updated_at, column4 AS deadline,
           column5 AS status, column6 AS next_at
    FROM (VALUES {rows}) AS listed
) AS claim
WHERE commitments_pledge.id = claim.id
  AND commitments_pledge.next_reminder_at = claim.listed_at
  AND commitments_pledge.updated_at = claim.updated_at
  AND commitments_pledge.deadline IS NOT DISTINCT FROM claim.deadline
  AND commitments_pledge.status = claim.status
"""


def _claim(moves, read, listed):
    """Move ``next_reminder_at`` to ``moves[pk]`` for every pledge still as ``read`` (and
    listed at ``listed[pk]``); returns how many rows were claimed."""
    ops = connection.ops
    if connection.vendor == "postgresql":
        row = "(%s, %s::timestamptz, %s::timestamptz, %s::date, %s, %s::timestamptz)"
    else:
        row = "(%s, %s, %s, %s, %s, %s)"
    params = []
    for pk, next_at in moves.items():
        pledge = read[pk]
        params += [
            pk,
            ops.adapt_datetimefield_value(listed[pk]),
            ops.adapt_datetimefield_value(pledge.updated_at),
            ops.adapt_datefield_value(pledge.deadline),
            pledge.status,
            ops.adapt_datetimefield_value(next_at),
        ]
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL.format(rows=", ".join([row] * len(moves))), params)
        return cursor.rowcount


@transaction.atomic
def remind(pk, listed_at, now, report):
    """Sweep one pledge (steps in the module docstring). Returns the Due sent, or None."""
    pledge = Pledge.objects.select_related("company", "owner").get(pk=pk)
    if not schedule.needs_reminders(pledge):
        Pledge.objects.filter(pk=pk, next_reminder_at=listed_at).update(next_reminder_at=None)
        return None
    deadline = pledge.deadline
    written = list(
        pledge.notifications.staff_reminders()
        .filter(occurrence__startswith=deadline.isoformat())
        .values_list("kind", "occurrence", "created_at")
    )
    due, next_at = schedule.plan(deadline, now, written)
    # Not a save since we read it (updated_at), nor a claim by another sweep (next_reminder_at):
    # what we decided from is still true when we commit to it.
    claimed = Pledge.objects.filter(
        pk=pk,
        next_reminder_at=listed_at,
        updated_at=pledge.updated_at,
        deadline=deadline,
        status=pledge.status,
    ).update(next_reminder_at=next_at)
    if claimed != 1 or due is None:
        return None

    event = None
    if due.kind == Notification.Kind.PASSED:
        passed = {
            "pledge": pledge,
            "kind": PledgeEvent.Kind.DEADLINE_PASSED,
            "old_deadline": deadline,
        }
        # The claim makes this sweep the only writer; the constraint would refuse a second one.
        event = PledgeEvent.objects.current().filter(**passed).first()
        if event is None:
            # Dated the first day the pledge is overdue, like Pledge.is_overdue.
            event = PledgeEvent.objects.create(
                **passed, occurred_on=deadline + dt.timedelta(days=1)
            )
            fan_out_after_commit(event)
            report.events += 1

    to = recipients(pledge)
    if not to:
        _nobody_to_remind(pledge, due, report)
        return due
    Notification.objects.bulk_create(_reminder_rows(pledge, due, event, to), ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(
            pledge=pledge,
            kind=due.kind,
            occurrence=due.occurrence,
            status=Notification.Status.PENDING,
            queued_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    _, held = digests.send_or_hold(ids, now)
    report.held += held
    report.reminders.append(f"{due.kind} {due.occurrence}: {pledge} → {len(to)} recipient(s)")
    return due


def _reminder_rows(pledge, due, event, to):
    """The Notification rows (unsaved) of reminder ``due`` about ``pledge`` to ``to``."""
    return [
        Notification(
            pledge=pledge,
            event=event,
            kind=due.kind,
            occurrence=due.occurrence,
            recipient=email,
            user=user,
        )
        for email, user in to
    ]


def _nobody_to_remind(pledge, due, report):
    report.unaddressed += 1
    logger.warning(
        "Nobody to remind about pledge %s (%s %s): no owner, no active %s, "
        "TRACKER_STAFF_EMAILS empty",
        pledge.pk,
        due.kind,
        due.occurrence,
        REVIEWERS_GROUP,
    )


def forecast(pledges, now=None):
    """What the sweep would send at once about these pledges (say, rows about to be
    imported): {"pledges": how many have a reminder due, "now": emails sent at once,
    "held": reminders held for the daily digest}."""
    now = now or timezone.now()
    due, pledges_due = {}, 0
    for pledge in pledges:
        if (
            not schedule.needs_reminders(pledge)
            or schedule.plan(pledge.deadline, now, [])[0] is None
        ):
            continue
        pledges_due += 1
        for email, user in recipients(pledge):
            key = (email, user.pk if user else None)
            due[key] = due.get(key, 0) + 1
    going = digests.plan_for(due, now)
    sent = sum(going.values())
    return {"pledges": pledges_due, "now": sent, "held": sum(due.values()) - sent}
