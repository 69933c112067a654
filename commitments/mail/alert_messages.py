"""The subscriber emails: alerts, and the confirmation (or "already subscribed") note.

Builders run at send time, not at fan-out time, so each one re-checks that the
address still wants this mail: someone who unsubscribes while a 10,000-address
fan-out is under way gets nothing more.
"""

import secrets
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import escape

from commitments.alerts import tokens
from commitments.alerts.fanout import TOPIC_FOR_EVENT
from commitments.domain import calendar
from commitments.mail.messages import Obsolete, Undeliverable, message_id
from commitments.models import Pledge, Subscription, Suppression

ONE_CLICK = "List-Unsubscribe=One-Click"


def topic_of(notification):
    if notification.event_id:
        return TOPIC_FOR_EVENT[notification.event.kind]
    return Subscription.Topic.UPCOMING


# The per-address links: rendered as placeholders, so one rendering serves a whole fan-out.
PERSONAL = ("unsubscribe_url", "manage_url")


def _render(template, context):
    context = {"SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def _message(notification, rendered):
    subject, text, html = rendered
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[notification.recipient],
        headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id(notification)},
    )
    message.attach_alternative(html, "text/html")
    return message


class Alert:
    """An alert as every follower sees it, rendered once with placeholders for the
    personal links; each follower's copy puts theirs in."""

    def __init__(self, context):
        # Random per alert, so no pledge text can contain one.
        nonce = secrets.token_hex(8)
        self.placeholders = {name: f"personal{nonce}{name.replace('_', '')}Z" for name in PERSONAL}
        self.subject, self.text, self.html = _render("alert", {**context, **self.placeholders})

    @staticmethod
    def headers(links):
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
        return {
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
            "List-Unsubscribe-Post": ONE_CLICK,
        }

    def personalised(self, notification, links):
        text, html = self.text, self.html
        for name, placeholder in self.placeholders.items():
            text = text.replace(placeholder, links[name])
            html = html.replace(placeholder, escape(links[name]))
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=text,
            to=[notification.recipient],
            headers={**self.headers(links), "Message-ID": message_id(notification)},
        )
        message.attach_alternative(html, "text/html")
        return message


@lru_cache(maxsize=16)
def _alert(pledge, event, topic, version):
    """The alert for this news; ``version`` makes an edited pledge render afresh."""
    return Alert(
        {
            "pledge": pledge,
            "event": event,
            "topic": topic,
            "pledge_url": settings.SITE_URL + pledge.get_absolute_url(),
        }
    )


@lru_cache(maxsize=16)
def _wanted(pledge_id, company_id, topic):
    """Who still wants this news; built once per fan-out, filtered per address (it is lazy)."""
    pledge = Pledge(pk=pledge_id, company_id=company_id)
    return Subscription.objects.deliverable().covering(pledge).wanting(topic)


def check_still_wanted(notifications):
    """Who in this batch still wants their alert: one query per batch, not one per message.

    Checked when the batch starts sending, so an address that leaves mid-fan-out
    misses at most the batch already under way.
    """
    groups = {}
    for notification in notifications:
        if notification.subscriber_id is not None:
            key = (notification.pledge_id, notification.pledge.company_id, topic_of(notification))
            groups.setdefault(key, []).append(notification)
    for (pledge_id, company_id, topic), rows in groups.items():
        wanted = set(
            _wanted(pledge_id, company_id, topic)
            .filter(subscriber_id__in=[row.subscriber_id for row in rows])
            .values_list("subscriber_id", flat=True)
        )
        for row in rows:
            row.still_wanted = row.subscriber_id in wanted


def build_alert(notification):
    subscriber, pledge = notification.subscriber, notification.pledge
    if notification.event is not None and notification.event.withdrawn_at is not None:
        raise Obsolete("the event was withdrawn by a correction before the alert went out")
    if subscriber is None:
        raise Undeliverable("the subscriber left")
    topic = topic_of(notification)
    still_wanted = getattr(notification, "still_wanted", None)
    if still_wanted is None:  # built outside a batch
        wanted = _wanted(pledge.pk, pledge.company_id, topic)
        still_wanted = wanted.filter(subscriber_id=subscriber.pk).exists()
    if not still_wanted:
        raise Undeliverable("unsubscribed or suppressed since the alert was queued")
    version = (pledge.updated_at, pledge.company.updated_at, calendar.today(), settings.SITE_URL)
    links = {
        "unsubscribe_url": tokens.unsubscribe_url(subscriber),
        "manage_url": tokens.manage_url(subscriber),
    }
    return _alert(pledge, notification.event, topic, version).personalised(notification, links)


def build_confirmation(notification):
    subscription_pk = int(notification.occurrence.split(":")[1])
    subscription = (
        Subscription.objects.select_related("pledge__company", "company")
        .filter(pk=subscription_pk, subscriber_id=notification.subscriber_id)
        .first()
    )
    if subscription is None:
        raise Undeliverable("the request expired or the address left")
    if Suppression.blocks_confirmations(notification.recipient):
        raise Undeliverable("the address is suppressed")
    context = {
        "subscription": subscription,
        "max_age_days": settings.TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS,
        "manage_url": tokens.manage_url(notification.subscriber),
    }
    if subscription.confirmed_at:
        return _message(notification, _render("alert_already", context))
    context["confirm_url"] = tokens.confirm_url(subscription)
    return _message(notification, _render("alert_confirm", context))
