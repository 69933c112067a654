"""A verdict fanned out to many followers while the database fails: the steps, shared by
the pytest fault test (tests/reminders/test_database_crash.py) and the compose smoke check.

Run against the configured database (``DJANGO_SETTINGS_MODULE`` and its environment):

    python -m tests.reminders.fanout_drill setup N     # N followers of one published pledge
    python -m tests.reminders.fanout_drill fan-out     # the verdict, its alerts queued
    python -m tests.reminders.fanout_drill finish      # recovery, as the sweep would do it later
    python -m tests.reminders.fanout_drill counts      # status=count of the drill's alerts

Followers' addresses are ``drill<n>@example.org``, the pledge's title ``Fault drill fan-out``,
so a mailbox count tells delivered messages and duplicates apart.
"""

import datetime as dt
import json
import sys

TITLE = "Fault drill fan-out"


def setup(count):
    from commitments.models import Company, Pledge, Subscriber, Subscription

    company, _ = Company.objects.get_or_create(slug="fault-drill", defaults={"name": "Fault Drill"})
    Pledge.objects.create(
        company=company,
        title=TITLE,
        slug="fault-drill-fan-out",
        success_criteria="Done.",
        announced_on=dt.date(2020, 1, 1),
        deadline=dt.date(2030, 1, 1),
        is_published=True,
    )
    for n in range(count):
        subscriber = Subscriber.objects.create(email=f"drill{n}@example.org")
        Subscription.objects.create(
            subscriber=subscriber,
            scope=Subscription.Scope.COMPANY,
            company=company,
            confirmed_at=subscriber.created_at,
        )


def fan_out():
    from django.utils import timezone

    from commitments.alerts import fanout
    from commitments.models import Pledge, PledgeEvent, Status

    pledge = Pledge.objects.get(slug="fault-drill-fan-out")
    # Created already claimed, so the post-save trigger leaves the fan-out to this call.
    event = PledgeEvent.objects.create(
        pledge=pledge,
        kind=PledgeEvent.Kind.STATUS_CHANGED,
        occurred_on=timezone.localdate(),
        old_status=pledge.status,
        new_status=Status.IN_PROGRESS,
        rationale="Fault drill.",
        alerts_queued_at=timezone.now(),
    )
    PledgeEvent.objects.filter(pk=event.pk).update(alerts_queued_at=None)
    return fanout.fan_out_event(event.pk)


def finish():
    """What later sweeps do: rows a worker left "sending" (it lost the database after the
    SMTP server accepted) are sent again once the sending timeout is over."""
    from django.utils import timezone

    from commitments.mail import delivery

    return delivery.recover(timezone.now() + delivery.sending_timeout())


def counts():
    from django.db.models import Count

    from commitments.models import Notification

    rows = Notification.objects.filter(pledge__slug="fault-drill-fan-out")
    return dict(rows.values_list("status").annotate(n=Count("pk")).order_by())


def main(argv):
    import django

    django.setup()
    command = argv[0]
    if command == "setup":
        setup(int(argv[1]))
    elif command == "fan-out":
        print(fan_out())
    elif command == "finish":
        print(finish())
    elif command == "counts":
        print(json.dumps(counts()))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    main(sys.argv[1:])
