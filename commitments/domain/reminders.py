"""The deadline sweep: writes "deadline passed" and the staff reminders that fall due.

When each reminder falls due is decided by the pure rules in ``schedule``; this module
acts on them. The sweep reads only pledges whose ``next_reminder_at`` has come, through a
partial index, so its cost follows the due rows, not the table. What has been sent is
never kept on the pledge: the sweep reads it from the ``Notification`` rows of the
current deadline. So ``next_check_at`` (run on every save) may point at a moment already
handled — the sweep looks, finds nothing new, and moves the pledge on — and can never
cause a duplicate or reset the cadence.

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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from commitments.alerts.tasks import fan_out_after_commit
from commitments.domain import digests, schedule
from commitments.mail import delivery
from commitments.models import Heartbeat, Notification, Pledge, PledgeEvent

logger = logging.getLogger(__name__)

REVIEWERS_GROUP = "Reviewers"
# A pledge whose sweep raised is looked at again after this, so it cannot crash-loop the sweep.
POISON_BACKOFF = dt.timedelta(hours=1)
SWEEP_BATCH = 500


def recipients(pledge):
    """Who is reminded about ``pledge``: [(email, user or None)].

    The owner; if none (or inactive, or without an address), every active Reviewer;
    if none, the TRACKER_STAFF_EMAILS addresses. May be empty: the sweep then logs a
    warning, still writes the "deadline passed" event (the public timeline needs it), and
    tries the same reminder again at the next overdue step, or sooner if the pledge is saved.
    """
    owner = pledge.owner
    if owner is not None and owner.is_active and owner.email:
        return [(owner.email, owner)]
    reviewers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=REVIEWERS_GROUP)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    found, seen = [], set()
    for user in reviewers:
        if user.email.lower() not in seen:
            seen.add(user.email.lower())
            found.append((user.email, user))
    if found:
        return found
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
    report = report or SweepReport()
    due = list(
        Pledge.objects.filter(next_reminder_at__lte=now)
        .order_by("next_reminder_at", "pk")
        .values_list("pk", "next_reminder_at")[:SWEEP_BATCH]
    )
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
        report.unaddressed += 1
        logger.warning(
            "Nobody to remind about pledge %s (%s %s): no owner, no active %s, "
            "TRACKER_STAFF_EMAILS empty",
            pk,
            due.kind,
            due.occurrence,
            REVIEWERS_GROUP,
        )
        return due
    Notification.objects.bulk_create(
        [
            Notification(
                pledge=pledge,
                event=event,
                kind=due.kind,
                occurrence=due.occurrence,
                recipient=email,
                user=user,
            )
            for email, user in to
        ],
        ignore_conflicts=True,
    )
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
