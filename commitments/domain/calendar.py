"""Calendar arithmetic in the tracker's time zone.

The database holds UTC. A deadline is a calendar date, and it passes at the end
of that day in ``settings.TRACKER_TIME_ZONE``, so "is it overdue?" depends on
which local day it is, not on the UTC date. Arithmetic on dates happens here,
in the local zone, and is converted back to UTC before it is stored (adding a
timedelta to an aware datetime is wrong across a DST change).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def tracker_zone():
    return ZoneInfo(settings.TRACKER_TIME_ZONE)


def today():
    """The current calendar date where the tracker is."""
    return timezone.localdate(timezone=tracker_zone())


def local_date(moment):
    """The calendar date of an aware moment where the tracker is."""
    return timezone.localdate(moment, timezone=tracker_zone())


def start_of_day(day):
    """The aware moment ``day`` begins in the tracker's zone, in UTC."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=tracker_zone())
    return local.astimezone(dt.UTC)


def deadline_passes_at(deadline):
    """A deadline passes when its day ends: at the start of the next local day."""
    return start_of_day(deadline + dt.timedelta(days=1))


def days_between(earlier, later):
    return (later - earlier).days


MONTH_NAMES = ("", *(dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)))


def human_date(day):
    """The one way pages and emails write a date: 2021-06-10 → "10 June 2021".

    Machine formats (feeds' timestamps, CSV, JSON, the API) stay ISO 8601.
    """
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}" if day else ""
