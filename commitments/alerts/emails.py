"""The subscriber emails: alerts, and the confirmation (or "already subscribed") note.

Builders run at send time, not at fan-out time, so each one re-checks that the
address still wants this mail: someone who unsubscribes while a 10,000-address
fan-out is under way gets nothing more.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from commitments.alerts import tokens
from commitments.alerts.fanout import TOPIC_FOR_EVENT
from commitments.emails import Undeliverable, builder
from commitments.models import Notification, Subscription, Suppression

ONE_CLICK = "List-Unsubscribe=One-Click"


def topic_of(notification):
    if notification.event_id:
        return TOPIC_FOR_EVENT[notification.event.kind]
    return Subscription.Topic.UPCOMING


def _message(notification, template, context, headers=None):
    context = {"SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=[notification.recipient],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


@builder(Notification.Kind.ALERT)
def build_alert(notification):
    subscriber, pledge = notification.subscriber, notification.pledge
    if subscriber is None:
        raise Undeliverable("the subscriber left")
    topic = topic_of(notification)
    still_wanted = (
        Subscription.objects.deliverable()
        .covering(pledge)
        .wanting(topic)
        .filter(subscriber_id=subscriber.pk)
        .exists()
    )
    if not still_wanted:
        raise Undeliverable("unsubscribed or suppressed since the alert was queued")
    unsubscribe_url = tokens.unsubscribe_url(subscriber)
    context = {
        "pledge": pledge,
        "event": notification.event,
        "topic": topic,
        "pledge_url": settings.SITE_URL + pledge.get_absolute_url(),
        "unsubscribe_url": unsubscribe_url,
        "manage_url": tokens.manage_url(subscriber),
    }
    # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this URL.
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": ONE_CLICK}
    return _message(notification, "alert", context, headers)


@builder(Notification.Kind.CONFIRM)
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
        return _message(notification, "alert_already", context)
    context["confirm_url"] = tokens.confirm_url(subscription)
    return _message(notification, "alert_confirm", context)
