"""Asking for alerts, confirming them, and leaving: the subscriber's side of things.

Whatever the state of an address, ``request_subscription`` returns nothing and
the view answers the same page, so the form cannot reveal who follows what.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commitments.mail import delivery
from commitments.models import Notification, Subscriber, Subscription, Suppression


@transaction.atomic
def request_subscription(email, scope, topics, *, pledge=None, company=None):
    """Record the request and mail the address; never tells the caller what happened.

    1. An address staff suppressed gets nothing, not even a confirmation.
    2. The subscriber and a pending subscription are created (or reused); pending
       rows are purged once their link has expired.
    3. A confirmed subscription for the same target is left alone (a stranger must
       not change it): the address is told it is already subscribed, with its manage link.
       Otherwise the chosen topics are stored and a confirmation link is mailed.
    """
    if Suppression.blocks_confirmations(email):
        return
    subscriber, _ = Subscriber.objects.get_or_create(email=Subscriber.normalise(email))
    subscription, _ = Subscription.objects.get_or_create(
        subscriber=subscriber,
        scope=scope,
        pledge=pledge if scope == Subscription.Scope.PLEDGE else None,
        company=company if scope == Subscription.Scope.COMPANY else None,
        defaults={field: topic in topics for topic, field in Subscription.TOPIC_FIELDS.items()},
    )
    if subscription.confirmed_at is None:
        subscription.set_topics(topics)
        subscription.save()
    notification = Notification.objects.create(
        kind=Notification.Kind.CONFIRM,
        subscriber=subscriber,
        pledge=subscription.pledge,
        # Unique per request: the rate limits, not this key, stop repeated mail.
        occurrence=f"subscription:{subscription.pk}:{timezone.now().isoformat()}",
        recipient=subscriber.email,
    )
    delivery.enqueue([notification.pk])


@transaction.atomic
def confirm(subscription_pk):
    """Record consent; returns the subscription, or None if it is gone (expired, left)."""
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("subscriber", "pledge", "company")
        .filter(pk=subscription_pk)
        .first()
    )
    if subscription is None:
        return None
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    # Asking again and confirming is the clearest consent there is.
    Suppression.objects.filter(
        address_hash=subscription.subscriber.address_hash,
        reason=Suppression.Reason.UNSUBSCRIBED,
    ).delete()
    return subscription


@transaction.atomic
def leave_everything(subscriber_pk):
    """Delete the subscriber and all it left with us, keeping only a hashed suppression.

    Idempotent: a second call (a repeated one-click POST) finds nothing and does nothing.
    Returns True if there was a subscriber to remove.
    """
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_pk).first()
    if subscriber is None:
        return False
    Suppression.suppress(subscriber.email, Suppression.Reason.UNSUBSCRIBED)
    subscriber.delete()  # cascades to subscriptions and notification rows
    return True


@transaction.atomic
def stop_following(subscriber, subscription_pks):
    """Drop some subscriptions; dropping the last one is leaving everything."""
    subscriber.subscriptions.filter(pk__in=subscription_pks).delete()
    if not subscriber.subscriptions.confirmed().exists():
        leave_everything(subscriber.pk)
        return True
    return False


def purge_unconfirmed(now=None):
    """Forget requests whose confirmation link has expired: unconfirmed addresses are not kept."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.TRACKER_ALERT_CONFIRM_MAX_AGE_DAYS)
    deleted, _ = Subscription.objects.filter(
        confirmed_at__isnull=True, requested_at__lt=cutoff
    ).delete()
    Subscriber.objects.filter(subscriptions__isnull=True, created_at__lt=cutoff).delete()
    return deleted
