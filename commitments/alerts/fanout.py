"""From "what happened" to "who is told": one ALERT row per address per event.

Two sources feed it. Pledge events (verdicts, moved and passed deadlines, confirmed
payments) are fanned out once each, claimed through ``alerts_queued_at``; the
"deadline in 7 days" warning has no event row, so ``fan_out_upcoming`` looks for
pledges entering that window and keys its rows by the deadline date instead. Either way
the unique constraint on Notification means a re-run inserts nothing new.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from commitments.domain import calendar
from commitments.mail import delivery
from commitments.models import Notification, Pledge, PledgeEvent, Subscriber, Subscription

TOPIC_FOR_EVENT = {
    PledgeEvent.Kind.STATUS_CHANGED: Subscription.Topic.VERDICT,
    PledgeEvent.Kind.DEADLINE_PASSED: Subscription.Topic.DEADLINE_PASSED,
    PledgeEvent.Kind.DEADLINE_CHANGED: Subscription.Topic.DEADLINE_MOVED,
    PledgeEvent.Kind.COMPANY_REPLY: Subscription.Topic.REPLY,
    PledgeEvent.Kind.DISBURSEMENT: Subscription.Topic.MONEY,
    # Followers told of a payment hear when its confirmation is withdrawn.
    PledgeEvent.Kind.PAYMENT_WITHDRAWN: Subscription.Topic.MONEY,
}
UPCOMING_DAYS = 7
# Older news is history, not an alert: what was recorded longer ago than this (an alert
# delayed by an outage), or a deadline found to have passed long after it did (a pledge
# logged or imported with a past deadline).
MAX_EVENT_AGE = dt.timedelta(days=14)
CHUNK = 1000


def fan_out_pending(limit=100):
    """Recovery sweep: events the on-commit trigger missed, oldest first."""
    ids = list(
        PledgeEvent.objects.filter(alerts_queued_at__isnull=True)
        .order_by("recorded_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(fan_out_event(pk) for pk in ids)


@transaction.atomic
def fan_out_event(event_id):
    """Create and queue the alerts for one event; returns how many rows are queued.

    1. Claim the event with a conditional UPDATE; 0 rows means another worker has
       it (the row lock holds until commit, so the claim and the rows land together).
    2. Skip what nobody is alerted about: notes, announcements, drafts, withdrawn
       events, old news (``is_news``).
    3. Insert and enqueue (see ``_create_and_enqueue``).
    """
    now = timezone.now()
    claimed = PledgeEvent.objects.filter(pk=event_id, alerts_queued_at__isnull=True).update(
        alerts_queued_at=now
    )
    if not claimed:
        return 0
    event = PledgeEvent.objects.select_related("pledge").get(pk=event_id)
    topic = TOPIC_FOR_EVENT.get(event.kind)
    if topic is None or not is_news(event, now) or not event.pledge.is_published:
        return 0
    return _create_and_enqueue(event.pledge, topic, f"event:{event.pk}", event=event)


def is_news(event, now):
    """Whether followers hear about ``event``: by when it was recorded, not its effective date.

    A verdict or extension recorded today is news even when it took effect months ago.
    The sweep's "deadline passed" is news only for a pledge the tracker already followed
    when its deadline passed; for one logged or imported after its deadline (even by a
    day) it is history, not news.
    """
    if event.withdrawn_at is not None:
        return False
    if event.kind == PledgeEvent.Kind.DEADLINE_PASSED:
        tracked_in_time = event.pledge.created_at < calendar.deadline_passes_at(event.old_deadline)
        return tracked_in_time and event.occurred_on >= calendar.today() - MAX_EVENT_AGE
    return event.recorded_at >= now - MAX_EVENT_AGE


def fan_out_upcoming():
    """Warn followers of pledges whose deadline is at most 7 days away, once per deadline."""
    today = calendar.today()
    pledges = (
        Pledge.objects.published()
        .not_final()
        .filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=UPCOMING_DAYS))
    )
    queued = 0
    for pledge in pledges:
        occurrence = f"upcoming:{pledge.deadline.isoformat()}"
        done = Notification.objects.filter(
            kind=Notification.Kind.ALERT, pledge=pledge, occurrence=occurrence
        ).exists()
        if not done:
            with transaction.atomic():
                queued += _create_and_enqueue(pledge, Subscription.Topic.UPCOMING, occurrence)
    return queued


def _create_and_enqueue(pledge, topic, occurrence, event=None):
    """One row per confirmed, unsuppressed address whose scope and topics match.

    Each address appears once however many of its subscriptions match (the
    subscriber is selected, not the subscription). Rows are inserted in chunks,
    already stamped as queued, then handed to delivery in batches after commit.
    """
    wanted = Subscription.objects.confirmed().covering(pledge).wanting(topic)
    recipients = (
        Subscriber.objects.not_suppressed()
        .filter(pk__in=wanted.values("subscriber_id"))
        .order_by("pk")
        .values_list("pk", "email")
    )
    chunk = []
    now = timezone.now()
    for subscriber_id, email in recipients.iterator(chunk_size=CHUNK):
        chunk.append(
            Notification(
                kind=Notification.Kind.ALERT,
                pledge=pledge,
                event=event,
                occurrence=occurrence,
                recipient=email,
                subscriber_id=subscriber_id,
                queued_at=now,  # queued below, after commit
            )
        )
        if len(chunk) == CHUNK:
            Notification.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Notification.objects.bulk_create(chunk, ignore_conflicts=True)
    # The rows written here; any an earlier run left pending are the sweep's to re-queue.
    ids = list(
        Notification.objects.filter(
            kind=Notification.Kind.ALERT,
            pledge=pledge,
            occurrence=occurrence,
            status=Notification.Status.PENDING,
            queued_at=now,
        ).values_list("pk", flat=True)
    )
    delivery.publish(ids)
    return len(ids)
