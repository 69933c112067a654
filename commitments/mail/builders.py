"""Which function builds the email for each kind of Notification, in one table.

``delivery`` asks ``build_message`` for each row of a batch, after ``prepare`` has let
the kinds that check something for many rows at once (is this reader still
subscribed?) do it with one query per batch instead of one per message.
"""

from commitments.mail import alert_messages, reply_messages, staff_messages
from commitments.models import Notification

Kind = Notification.Kind
BUILDERS = {
    Kind.UPCOMING: staff_messages.upcoming,
    Kind.PASSED: staff_messages.passed,
    Kind.OVERDUE: staff_messages.overdue,
    Kind.DIGEST: staff_messages.digest,
    Kind.BROKEN_SOURCES: staff_messages.broken_sources,
    Kind.ALERT: alert_messages.build_alert,
    Kind.CONFIRM: alert_messages.build_confirmation,
    Kind.REPLY_REQUEST: reply_messages.request_for_comment,
    Kind.REPLY_REMINDER: reply_messages.reply_reminder,
    Kind.REPLY_RECEIVED: reply_messages.reply_received,
    Kind.REPLY_LAPSED: reply_messages.reply_lapsed,
}
PREPARERS = {Kind.ALERT: alert_messages.check_still_wanted}


def prepare(notifications):
    by_kind = {}
    for notification in notifications:
        by_kind.setdefault(notification.kind, []).append(notification)
    for kind, rows in by_kind.items():
        if kind in PREPARERS:
            PREPARERS[kind](rows)


def build_message(notification):
    try:
        build = BUILDERS[notification.kind]
    except KeyError:
        raise LookupError(f"No email builder for notification kind {notification.kind!r}") from None
    return build(notification)
