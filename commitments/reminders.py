"""When a pledge needs the reminder sweep's attention.

Each published, unrated pledge with a deadline carries ``next_reminder_at``: the
next moment something may be due (an "upcoming" warning, the deadline passing,
or the next "overdue" nudge). The sweep reads only rows whose moment has come,
through a partial index, so its cost follows the due rows, not the table.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from commitments import calendar


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

    Once the deadline has passed this returns the moment it passed, which is in
    the past: the sweep then works out from the notifications already sent
    whether an "overdue" nudge is due, so recomputing this on every save can
    never cause a duplicate or reset the overdue cadence.
    """
    if not needs_reminders(pledge):
        return None
    now = now or timezone.now()
    passes_at = calendar.deadline_passes_at(pledge.deadline)
    future = [m for m in upcoming_marks(pledge.deadline).values() if m > now]
    return min(future) if future else passes_at
