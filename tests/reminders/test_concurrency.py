"""Overlapping sweeps and duplicated send tasks, for real, on PostgreSQL."""

import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections, transaction

from commitments.domain import reminders
from commitments.mail.tasks import send_notifications
from commitments.models import Notification, PledgeEvent
from tests.factories import PledgeFactory
from tests.reminders.conftest import la

pytestmark = pytest.mark.django_db(transaction=True)

PASSED_AT = la(2021, 6, 11, 0, 0)


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite lets one writer in at a time, so nothing overlaps: run with "
            "DATABASE_URL=postgres://… to race two sweeps for real"
        )


def at_once(func, times=2):
    """Run ``func`` in ``times`` threads released together; return their results."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(func())
        except Exception as exc:  # reported below, with the thread's own traceback lost
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == times
    return results


def test_two_sweeps_at_once_remind_once_per_pledge_and_recipient(company, settings, queued):
    settings.TRACKER_STAFF_EMAILS = ["advocacy@example.org", "lead@example.org"]
    # Every reminder emailed at once (none held for a digest), so every row must be queued.
    settings.TRACKER_DIGEST_THRESHOLD = 1000
    with time_machine.travel(la(2021, 6, 1, 12, 0), tick=False):
        pledges = [PledgeFactory(company=company) for _ in range(30)]

    with time_machine.travel(PASSED_AT, tick=False):
        reports = at_once(reminders.sweep_deadlines)

    assert sum(len(report.reminders) for report in reports) == 30
    assert sum(report.errors for report in reports) == 0
    rows = Notification.objects.values_list("pledge", "kind", "occurrence", "recipient")
    assert len(rows) == 60
    assert len(set(rows)) == 60
    assert PledgeEvent.objects.filter(kind=PledgeEvent.Kind.DEADLINE_PASSED).count() == 30
    # Every row handed to the broker exactly once, by whichever sweep won it.
    queued_ids = Counter(pk for batch in queued for pk in batch)
    assert sorted(queued_ids) == sorted(Notification.objects.values_list("pk", flat=True))
    assert set(queued_ids.values()) == {1}
    assert {p.pk for p in pledges} == set(Notification.objects.values_list("pledge", flat=True))


def test_a_send_task_delivered_twice_at_once_sends_one_email_per_row(pledge):
    rows = Notification.objects.bulk_create(
        Notification(
            pledge=pledge, kind="passed", occurrence="2021-06-10", recipient=f"{n}@example.org"
        )
        for n in range(20)
    )
    ids = [row.pk for row in Notification.objects.all()]
    assert len(ids) == len(rows)

    with time_machine.travel(PASSED_AT, tick=False):
        at_once(lambda: send_notifications(ids), times=3)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"{n}@example.org" for n in range(20))
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_rollback_after_scheduling_enqueues_nothing(pledge, settings, queued):
    settings.TRACKER_STAFF_EMAILS = ["advocacy@example.org"]

    class Abort(Exception):
        pass

    def sweep_then_fail():
        with transaction.atomic():
            reminders.sweep_deadlines()
            assert Notification.objects.count() == 1
            raise Abort

    with time_machine.travel(PASSED_AT, tick=False), pytest.raises(Abort):
        sweep_then_fail()
    assert queued == []
    assert Notification.objects.count() == 0
    # The same sweep, committed, does queue the email.
    with time_machine.travel(PASSED_AT, tick=False):
        reminders.sweep_deadlines()
    assert queued == [list(Notification.objects.values_list("pk", flat=True))]
