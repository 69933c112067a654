"""What every email the tracker sends shares: headers, templates, and the two ways a
message can turn out not to be worth sending.

A builder (``staff_messages``, ``alert_messages``; listed by kind in ``builders``) turns
a Notification row into an ``EmailMultiAlternatives``. It raises ``Obsolete`` when the
message is no longer true by the time it is sent (the row is marked skipped), and
``Undeliverable`` when the recipient no longer wants it (the row is marked failed).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from commitments.domain import site


class Obsolete(Exception):
    """The notification no longer applies; do not send it."""


class Undeliverable(Exception):
    """Raised by a builder when the recipient no longer wants this mail (a reader left or
    was suppressed). Delivery marks the row failed with the reason and never retries it."""


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def message_id(notification):
    """Fixed per row, so a rare repeat delivery (see delivery.py) reads as the same email."""
    return f"<notification-{notification.pk}.{notification.kind}@{site.hostname()}>"


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
