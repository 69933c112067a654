"""Sending Notification rows: claimed atomically, one SMTP connection per batch.

Delivery is at-least-once: a row is marked sent right after its message is
handed to the mail server, so a crash between the two leaves it in "sending"
for a recovery sweep to retry. The claim makes two workers on the same batch
harmless: each row is sent by whichever claimed it.
"""

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commitments.emails import Undeliverable, build_message
from commitments.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def enqueue(notification_ids):
    """Queue sending after the current transaction commits, in batches."""
    from commitments.tasks import send_notifications

    ids = list(notification_ids)
    size = settings.TRACKER_DELIVERY_BATCH_SIZE
    for start in range(0, len(ids), size):
        send_notifications.delay_on_commit(ids[start : start + size])


def claim(notification_ids):
    """Move pending rows to "sending"; returns the ids this caller now owns."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=notification_ids, status=Notification.Status.PENDING)
            .filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids, status=Notification.Status.PENDING).update(
            status=Notification.Status.SENDING, claimed_at=now
        )
    return ids


def send_batch(notification_ids):
    """Claim, build and send the rows; returns how many were sent."""
    ids = claim(notification_ids)
    if not ids:
        return 0
    rows = Notification.objects.filter(pk__in=ids).select_related(
        "pledge__company", "event", "subscriber"
    )
    sent = 0
    with get_connection() as connection:
        for notification in rows.order_by("pk"):
            sent += _send_one(notification, connection)
    return sent


def _send_one(notification, connection):
    mine = Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING)
    try:
        message = build_message(notification)
        message.connection = connection
        message.send()
    except Undeliverable as reason:
        mine.update(status=Notification.Status.FAILED, last_error=f"Not sent: {reason}")
        return 0
    except Exception as exc:
        logger.warning("Sending notification %s failed: %s", notification.pk, exc)
        attempts = notification.attempts + 1
        mine.update(
            status=Notification.Status.FAILED
            if attempts >= MAX_ATTEMPTS
            else Notification.Status.PENDING,
            attempts=attempts,
            last_error=str(exc)[:2000],
        )
        return 0
    mine.update(status=Notification.Status.SENT, sent_at=timezone.now())
    return 1
