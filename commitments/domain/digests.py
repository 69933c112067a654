"""Daily digests: staff reminders that wait for one email a day instead of one each.

Each staff member has a preference (``ReminderPreference``; no row = automatic):
- *immediate*: every reminder is emailed as it falls due (the behaviour before digests);
- *digest*: every reminder is held for the daily digest;
- *automatic*: the first TRACKER_DIGEST_THRESHOLD reminders of a (tracker-time) day go out
  one by one; from the next one on, they are held. A quiet day looks as it always did,
  and a flood — 1,000 imported overdue pledges — costs five emails and one digest.
Addresses from TRACKER_STAFF_EMAILS, with no account, are treated as automatic.

The digest goes out at TRACKER_DIGEST_HOUR in the tracker's time zone, from the sweep
(``send_due``): every reminder held before that moment is moved into one Notification
of kind ``digest`` per recipient, in one transaction. So it is delivered by the usual
machinery (retried, never twice), a held row is listed in exactly one digest, and two
sweeps racing make one digest (a unique constraint on kind, day and recipient). A held
row is never "pending", so delivery's recovery never sends it on its own.
"""

import datetime as dt
from collections import Counter, defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.domain import calendar
from commitments.mail import delivery
from commitments.models import Notification, ReminderPreference

Mode = ReminderPreference.Mode
Status = Notification.Status


def split(mode, due, already_sent_today):
    """How many of ``due`` new reminders go now, and how many wait: (now, held)."""
    if mode == Mode.IMMEDIATE:
        return due, 0
    if mode == Mode.DIGEST:
        return 0, due
    room = max(0, settings.TRACKER_DIGEST_THRESHOLD - already_sent_today)
    return min(due, room), max(0, due - room)


def digest_time(day):
    """The digest hour of ``day`` on the tracker's wall clock (right across DST changes)."""
    local = dt.datetime.combine(
        day, dt.time(settings.TRACKER_DIGEST_HOUR), tzinfo=calendar.tracker_zone()
    )
    return local.astimezone(dt.UTC)


def digest_moment(now):
    """The most recent digest time at or before ``now``."""
    today = calendar.local_date(now)
    moment = digest_time(today)
    return moment if moment <= now else digest_time(today - dt.timedelta(days=1))


def modes(user_ids):
    """{user id: mode} for those who chose one; look others up with ``Mode.AUTOMATIC``."""
    rows = ReminderPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "mode")
    return dict(rows)


def sent_today(recipients, now, exclude=()):
    """{recipient: staff reminders written for them today, except those held or skipped}."""
    start = calendar.start_of_day(calendar.local_date(now))
    rows = (
        Notification.objects.staff_reminders()
        .filter(recipient__in=recipients, created_at__gte=start)
        .exclude(status__in=[Status.HELD, Status.IN_DIGEST, Status.SKIPPED])
        .exclude(pk__in=exclude)
        .values_list("recipient", flat=True)
    )
    return Counter(rows)


def plan_for(due, now, exclude=()):
    """Given {(recipient, user id or None): reminders due now}, how many of each go at once:
    {(recipient, user id): count}; the rest are held. ``exclude``: the due rows themselves,
    if already written."""
    preference = modes({user_id for _, user_id in due if user_id})
    earlier = sent_today({recipient for recipient, _ in due}, now, exclude)
    return {
        (recipient, user_id): split(
            preference.get(user_id, Mode.AUTOMATIC), count, earlier[recipient]
        )[0]
        for (recipient, user_id), count in due.items()
    }


def send_or_hold(notification_ids, now=None):
    """Queue the new staff reminders that go now; hold the others for the digest.
    Returns (queued, held)."""
    now = now or timezone.now()
    rows = list(
        Notification.objects.staff_reminders()
        .filter(pk__in=notification_ids, status=Status.PENDING)
        .order_by("pk")
        .values_list("pk", "recipient", "user_id")
    )
    by_recipient = defaultdict(list)
    for pk, recipient, user_id in rows:
        by_recipient[(recipient, user_id)].append(pk)
    going = plan_for(
        {key: len(ids) for key, ids in by_recipient.items()},
        now,
        exclude=[pk for pk, _, _ in rows],
    )
    send, hold = [], []
    for key, ids in by_recipient.items():
        send += ids[: going[key]]
        hold += ids[going[key] :]
    if hold:
        Notification.objects.filter(pk__in=hold, status=Status.PENDING).update(status=Status.HELD)
    reminders = {pk for pk, _, _ in rows}
    delivery.enqueue(send + [pk for pk in notification_ids if pk not in reminders])
    return len(send), len(hold)


def send_due(now=None):
    """Fold every reminder held before the latest digest time into one digest per
    recipient and queue those digests. Returns how many digests were made."""
    now = now or timezone.now()
    moment = digest_moment(now)
    day = calendar.local_date(moment).isoformat()
    waiting = (
        Notification.objects.filter(status=Status.HELD, created_at__lt=moment)
        .values_list("recipient", "user_id")
        .distinct()
    )
    made = 0
    for recipient, user_id in set(waiting):
        made += _fold(recipient, user_id, moment, day)
    return made


@transaction.atomic
def _fold(recipient, user_id, moment, day):
    held = list(
        Notification.objects.select_for_update()
        .filter(status=Status.HELD, recipient=recipient, created_at__lt=moment)
        .values_list("pk", flat=True)
    )
    if not held:
        return 0  # another sweep folded them first
    try:
        with transaction.atomic():
            digest = Notification.objects.create(
                kind=Notification.Kind.DIGEST, occurrence=day, recipient=recipient, user_id=user_id
            )
    except IntegrityError:
        # Today's digest already went (a reminder held just as it was made): tomorrow's.
        return 0
    Notification.objects.filter(pk__in=held).update(status=Status.IN_DIGEST, digest=digest)
    delivery.enqueue([digest.pk])
    return 1
