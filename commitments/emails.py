"""Turning a Notification row into an email: a registry of builders, one per kind.

``@builder(Notification.Kind.X)`` registers a function ``(notification) ->
EmailMultiAlternatives``; ``build_message`` dispatches on ``notification.kind``. A
builder raises ``Obsolete`` when the message is no longer true by the time it is
sent (the delivery then marks the row skipped instead of sending it).

The staff reminders (upcoming, passed, overdue) are registered here; subscriber
alerts register theirs in their own module.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from commitments import calendar, reminders
from commitments.models import Notification

_builders = {}


class Obsolete(Exception):
    """The notification no longer applies; do not send it."""


class Undeliverable(Exception):
    """Raised by a builder when the recipient no longer wants this mail (a reader left or
    was suppressed). Delivery marks the row failed with the reason and never retries it."""


def builder(kind):
    def register(func):
        _builders[kind] = func
        return func

    return register


_preparers = {}


def preparer(kind):
    """Register ``func(notifications)``, run once per batch before its messages are built.

    For checks a builder would otherwise make once per message (one query for 200
    rows instead of 200 queries); the builder reads what the preparer left on each row.
    """

    def register(func):
        _preparers[kind] = func
        return func

    return register


def prepare(notifications):
    by_kind = {}
    for notification in notifications:
        by_kind.setdefault(notification.kind, []).append(notification)
    for kind, rows in by_kind.items():
        if kind in _preparers:
            _preparers[kind](rows)


def build_message(notification):
    try:
        build = _builders[notification.kind]
    except KeyError:
        raise LookupError(f"No email builder for notification kind {notification.kind!r}") from None
    return build(notification)


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def message_id(notification):
    """Fixed per row, so a rare repeat delivery (see delivery.py) reads as the same email."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}.{notification.kind}@{host}>"


def render(notification, template, subject, context):
    """An email with text and HTML parts from templates/emails/<template>.{txt,html}."""
    context = {"notification": notification, "site_url": settings.SITE_URL, **context}
    message = EmailMultiAlternatives(
        # A line break in a pledge title (e.g. from an import) must not reach the header.
        subject=" ".join(subject.split()),
        body=render_to_string(f"emails/{template}.txt", context),
        to=[notification.recipient],
        headers={
            "Message-ID": message_id(notification),
            # RFC 3834: tells vacation responders not to answer.
            "Auto-Submitted": "auto-generated",
            "X-Tracker-Notification": f"{notification.kind} {notification.occurrence}",
        },
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


# --- Staff reminders ------------------------------------------------------------------------


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
    deadline = reminders.deadline_of(notification.occurrence)
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


@builder(Notification.Kind.UPCOMING)
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


@builder(Notification.Kind.PASSED)
def passed(notification):
    pledge = _current_pledge(notification)
    return render(notification, "passed", f"Deadline passed: {pledge}", _staff_context(pledge))


@builder(Notification.Kind.OVERDUE)
def overdue(notification):
    pledge = _current_pledge(notification)
    days = (calendar.today() - pledge.deadline).days
    return render(
        notification,
        "overdue",
        f"Still awaiting a verdict, {days} days after the deadline: {pledge}",
        {**_staff_context(pledge), "days_overdue": days},
    )
