"""When a pledge's deadline needs attention: the pure date rules of the reminder schedule.

Nothing here reads or writes the database; it imports only settings and the calendar, so
the models may use it (``Pledge.save`` stores ``next_check_at``) and the sweep
(``commitments.domain.reminders``) decides from it what to send.

Each published, unrated pledge with a deadline carries ``next_reminder_at``: the next
moment something may be due (an "upcoming" warning, the deadline passing, or the next
"overdue" nudge). What has been sent is never kept on the pledge: the sweep reads it
from the ``Notification`` rows of the current deadline and hands it to ``plan``.
"""

import dataclasses
import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

from commitments.domain import calendar

# Staff reminder kinds (Notification.Kind values), named here so the rules need no models.
UPCOMING, PASSED, OVERDUE = "upcoming", "passed", "overdue"


def upcoming_marks(deadline):
    """The moments the "deadline coming up" warnings fall due: local midnight N days ahead."""
    return {
        days: calendar.start_of_day(deadline - dt.timedelta(days=days))
        for days in sorted(settings.TRACKER_UPCOMING_REMINDER_DAYS, reverse=True)
    }


def needs_reminders(pledge):
    return pledge.is_published and pledge.deadline is not None and not pledge.is_final


def next_check_at(pledge, now=None):
    """The next moment the sweep should look at ``pledge``, or None if never.

    Before the deadline this is the most recent "upcoming" mark already reached (the
    sweep checks whether it was sent: a save between a mark and the sweep must not
    lose that warning), else the next mark, else the moment the deadline passes.
    After the deadline it is the moment it passed, in the past: the sweep works out
    from the notifications already written whether an "overdue" nudge is due.
    """
    if not needs_reminders(pledge):
        return None
    now = now or timezone.now()
    passes_at = calendar.deadline_passes_at(pledge.deadline)
    if now >= passes_at:
        return passes_at
    marks = upcoming_marks(pledge.deadline).values()
    reached = [m for m in marks if m <= now]
    future = [m for m in marks if m > now]
    if reached:
        return max(reached)
    return min(future) if future else passes_at


def overdue_due_after(moment):
    """An overdue nudge falls due N local calendar days after the last one, at midnight."""
    day = timezone.localdate(moment, timezone=calendar.tracker_zone())
    return calendar.start_of_day(day + dt.timedelta(days=settings.TRACKER_OVERDUE_REMINDER_DAYS))


# --- Occurrence keys: which instance of a reminder a Notification row is ------------------

_UPCOMING_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d+)d$")


def upcoming_key(deadline, days):
    return f"{deadline.isoformat()}/{days}d"


def passed_key(deadline):
    return deadline.isoformat()


def overdue_key(deadline, local_day):
    return f"{deadline.isoformat()}@{local_day.isoformat()}"


def deadline_of(occurrence):
    """The deadline a staff reminder's occurrence key is about."""
    return dt.date.fromisoformat(occurrence[:10])


def upcoming_days_of(occurrence):
    match = _UPCOMING_KEY.match(occurrence)
    return int(match[2]) if match else None


@dataclasses.dataclass(frozen=True)
class Due:
    kind: str
    occurrence: str


def plan(deadline, now, written):
    """What to send for ``deadline`` at ``now``, and when to look next.

    ``written`` holds (kind, occurrence, created_at) of the staff reminders already
    written for this deadline. Returns (Due or None, next moment).
    """
    passes_at = calendar.deadline_passes_at(deadline)
    if now < passes_at:
        marks = upcoming_marks(deadline)
        reached = [days for days, moment in marks.items() if moment <= now]
        future = [moment for moment in marks.values() if moment > now]
        next_at = min(future) if future else passes_at
        if not reached:
            return None, next_at
        # Catch-up: of several marks reached at once, only the most imminent is worth sending.
        days = min(reached)
        sent_days = {upcoming_days_of(occ) for kind, occ, _ in written if kind == UPCOMING}
        if any(sent is not None and sent <= days for sent in sent_days):
            return None, next_at
        return Due(UPCOMING, upcoming_key(deadline, days)), next_at

    nudges = [at for kind, _, at in written if kind in (PASSED, OVERDUE)]
    if not nudges:
        return Due(PASSED, passed_key(deadline)), overdue_due_after(now)
    due_at = overdue_due_after(max(nudges))
    if due_at > now:
        return None, due_at
    # However long the sweep was away, one nudge now, and the cadence restarts from today.
    today = timezone.localdate(now, timezone=calendar.tracker_zone())
    return Due(OVERDUE, overdue_key(deadline, today)), overdue_due_after(now)
