"""Staff reminder emails: the deadline is coming up, has passed, is still awaiting a verdict;
the daily digest that lists held reminders in one email; and the weekly list of sources
that stopped working (``broken_sources``).

Each builder first checks the reminder is still true (``_current_pledge``): a verdict
recorded or a deadline moved since the row was written makes it ``Obsolete``.
"""

import datetime as dt

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from commitments.domain import calendar, schedule
from commitments.mail.messages import Obsolete, absolute, render
from commitments.models import Notification, Source


def verdict_url(pledge):
    """Straight to the form where a reviewer rules on the pledge (or its admin page)."""
    try:
        path = reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk])
    except NoReverseMatch:
        path = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    return absolute(path)


def _current_pledge(notification):
    """The pledge, if the reminder is still true: not rated, same deadline."""
    pledge = notification.pledge
    if pledge is None or not pledge.is_published:
        raise Obsolete("The pledge is gone or no longer published.")
    if pledge.is_final:
        raise Obsolete(f"A verdict was recorded ({pledge.get_status_display()}).")
    deadline = schedule.deadline_of(notification.occurrence)
    if pledge.deadline != deadline:
        raise Obsolete(f"The deadline moved from {deadline.isoformat()}.")
    return pledge


def _staff_context(pledge):
    return {
        "pledge": pledge,
        "deadline": pledge.deadline,
        "pledge_url": absolute(pledge.get_absolute_url()),
        "admin_url": verdict_url(pledge),
        "overdue_every": settings.TRACKER_OVERDUE_REMINDER_DAYS,
    }


def upcoming(notification):
    pledge = _current_pledge(notification)
    days_left = (pledge.deadline - calendar.today()).days
    if days_left < 0:
        raise Obsolete("The deadline has passed; the 'deadline passed' reminder takes over.")
    when = {0: "today", 1: "tomorrow"}.get(days_left, f"in {days_left} days")
    return render(
        notification,
        "upcoming",
        f"Deadline {when}: {pledge}",
        {**_staff_context(pledge), "days_left": days_left, "when": when},
    )


def passed(notification):
    pledge = _current_pledge(notification)
    return render(notification, "passed", f"Deadline passed: {pledge}", _staff_context(pledge))


def overdue(notification):
    pledge = _current_pledge(notification)
    days = (calendar.today() - pledge.deadline).days
    return render(
        notification,
        "overdue",
        f"Still awaiting a verdict, {days} days after the deadline: {pledge}",
        {**_staff_context(pledge), "days_overdue": days},
    )


def _digest_line(reminder):
    """One pledge of a digest: (pledge, what is due), or None if no longer true."""
    try:
        pledge = _current_pledge(reminder)
    except Obsolete:
        return None
    days = (calendar.today() - pledge.deadline).days
    if days < 0:
        what = f"deadline in {-days} day{'s' if days != -1 else ''}"
    elif days == 0:
        what = "deadline today"
    else:
        what = f"{days} day{'s' if days != 1 else ''} past the deadline"
    return {
        "pledge": pledge,
        "what": what,
        "admin_url": verdict_url(pledge),
        "pledge_url": absolute(pledge.get_absolute_url()),
    }


def digest(notification):
    """The reminders held for one person since the last digest, one line per pledge, each
    still checked: a pledge ruled on or moved since is left out, and a digest left empty
    is not sent."""
    reminders = (
        Notification.objects.filter(digest=notification)
        .select_related("pledge__company")
        .order_by("pledge__deadline", "pledge_id", "-pk")
    )
    lines, seen = [], set()
    for reminder in reminders:
        if reminder.pledge_id in seen:
            continue
        seen.add(reminder.pledge_id)
        line = _digest_line(reminder)
        if line is not None:
            lines.append(line)
    if not lines:
        raise Obsolete("Every reminder in this digest was settled before it went out.")
    count = len(lines)
    return render(
        notification,
        "digest",
        f"{count} pledge{'s' if count != 1 else ''} awaiting you: daily digest",
        {
            "lines": lines,
            "count": count,
            "preferences_url": absolute(reverse("admin:reminder_emails")),
        },
    )


def broken_sources(notification):
    """The week's newly broken sources, grouped by pledge; one still broken when the email
    goes out (a source that works again is left out; none left, the email is skipped)."""
    start, end = (dt.datetime.fromisoformat(m) for m in notification.occurrence.split("/"))
    sources = list(
        Source.objects.broken()
        .filter(broken_since__gte=start, broken_since__lt=end)
        .select_related("pledge__company")
        .order_by("pledge__company__name", "pledge__title", "pk")
    )
    if not sources:
        raise Obsolete("Every source in this digest works again.")
    pledges = {}
    for source in sources:
        pledges.setdefault(source.pledge, []).append(source)
    count = len(sources)
    return render(
        notification,
        "broken_sources",
        f"{count} source{'s' if count != 1 else ''} stopped working this week",
        {
            "count": count,
            "pledges": [
                {
                    "pledge": pledge,
                    "pledge_url": absolute(pledge.get_absolute_url()),
                    "sources": [
                        {
                            "source": source,
                            "admin_url": absolute(
                                reverse("admin:commitments_source_change", args=[source.pk])
                            ),
                        }
                        for source in found
                    ],
                }
                for pledge, found in pledges.items()
            ],
            "broken_days": settings.TRACKER_SOURCE_BROKEN_DAYS,
            "list_url": absolute(reverse("admin:commitments_source_changelist") + "?link=broken"),
        },
    )
