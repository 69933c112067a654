"""Which staff reminder goes out when: the sweep on the tracker's calendar."""

import datetime as dt
import logging

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments.domain import reminders, schedule, workflow
from commitments.models import Notification, Pledge, PledgeEvent
from tests.factories import PledgeFactory, SourceFactory, UserFactory
from tests.reminders.conftest import la, sweep_at

pytestmark = pytest.mark.django_db


def sent(pledge):
    """(kind, occurrence) of the reminders written for ``pledge``, oldest first."""
    return list(pledge.notifications.order_by("pk").values_list("kind", "occurrence"))


def make_pledge(company, at, **fields):
    fields.setdefault("deadline", dt.date(2021, 6, 10))
    with time_machine.travel(at, tick=False):
        return PledgeFactory(
            company=company, title="One-year moratorium on police use of Rekognition", **fields
        )


@pytest.fixture
def spring_pledge(company, staff_emails):
    return make_pledge(company, la(2021, 4, 1, 12, 0))


class TestUpcoming:
    def test_thirty_and_seven_days_ahead_each_fire_at_local_midnight(self, spring_pledge):
        sweep_at(la(2021, 5, 10, 23, 59))
        assert sent(spring_pledge) == []
        sweep_at(la(2021, 5, 11, 0, 0))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/30d")]
        sweep_at(la(2021, 6, 2, 23, 59))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/30d")]
        sweep_at(la(2021, 6, 3, 0, 0))
        assert sent(spring_pledge) == [
            ("upcoming", "2021-06-10/30d"),
            ("upcoming", "2021-06-10/7d"),
        ]

    def test_sweeping_again_and_again_sends_nothing_new(self, spring_pledge, queued):
        for minute in range(0, 10, 2):
            sweep_at(la(2021, 5, 11, 0, minute))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/30d")]
        assert Notification.objects.count() == 1

    def test_the_marks_are_configurable(self, spring_pledge, settings):
        settings.TRACKER_UPCOMING_REMINDER_DAYS = [3]
        with time_machine.travel(la(2021, 4, 2, 12, 0), tick=False):
            spring_pledge.save()  # re-arm for the new schedule
        sweep_at(la(2021, 6, 3, 0, 0))
        assert sent(spring_pledge) == []
        sweep_at(la(2021, 6, 7, 0, 0))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/3d")]

    def test_an_edit_between_the_mark_and_the_sweep_does_not_lose_the_warning(self, spring_pledge):
        with time_machine.travel(la(2021, 5, 11, 0, 1), tick=False):
            spring_pledge.summary = "Edited after the 30-day mark, before the sweep."
            spring_pledge.save()
        sweep_at(la(2021, 5, 11, 0, 2))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/30d")]

    def test_a_pledge_logged_days_before_its_deadline_gets_one_heads_up(
        self, company, staff_emails
    ):
        pledge = make_pledge(company, la(2021, 6, 8, 9, 0))
        sweep_at(la(2021, 6, 8, 9, 2))
        sweep_at(la(2021, 6, 9, 9, 2))
        assert sent(pledge) == [("upcoming", "2021-06-10/7d")]


class TestPassed:
    def test_it_fires_when_the_deadline_day_ends_in_the_tracker_zone(self, spring_pledge):
        # 23:59 in Los Angeles on the deadline day is already 11 June in UTC: not yet.
        sweep_at(la(2021, 6, 10, 23, 59))
        assert ("passed", "2021-06-10") not in sent(spring_pledge)
        sweep_at(la(2021, 6, 11, 0, 0))
        assert sent(spring_pledge)[-1] == ("passed", "2021-06-10")

    def test_it_writes_the_deadline_passed_event_exactly_once(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        sweep_at(la(2021, 6, 11, 0, 2))
        sweep_at(la(2021, 6, 18, 0, 0))
        events = spring_pledge.events.filter(kind=PledgeEvent.Kind.DEADLINE_PASSED)
        assert list(events.values_list("old_deadline", "occurred_on")) == [
            (dt.date(2021, 6, 10), dt.date(2021, 6, 11))
        ]
        assert events.get().notifications.get().kind == "passed"

    def test_across_the_autumn_dst_change_it_fires_at_local_midnight(self, company, staff_emails):
        # Clocks go back on 7 November 2021: that day lasts 25 hours in Los Angeles.
        pledge = make_pledge(company, la(2021, 10, 1, 12, 0), deadline=dt.date(2021, 11, 7))
        sweep_at(dt.datetime(2021, 11, 8, 7, 59, tzinfo=dt.UTC))  # 23:59 PST on the 7th
        assert ("passed", "2021-11-07") not in sent(pledge)
        sweep_at(dt.datetime(2021, 11, 8, 8, 0, tzinfo=dt.UTC))  # 00:00 PST on the 8th
        assert sent(pledge)[-1] == ("passed", "2021-11-07")


class TestOverdue:
    def test_it_repeats_every_seven_local_days_until_a_verdict(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        sweep_at(la(2021, 6, 17, 23, 59))
        sweep_at(la(2021, 6, 18, 0, 0))
        sweep_at(la(2021, 6, 18, 0, 2))
        sweep_at(la(2021, 6, 25, 0, 0))
        assert sent(spring_pledge)[-3:] == [
            ("passed", "2021-06-10"),
            ("overdue", "2021-06-10@2021-06-18"),
            ("overdue", "2021-06-10@2021-06-25"),
        ]

    def test_the_cadence_keeps_local_midnight_across_the_spring_dst_change(
        self, company, staff_emails
    ):
        pledge = make_pledge(company, la(2021, 3, 1, 12, 0), deadline=dt.date(2021, 3, 13))
        sweep_at(la(2021, 3, 14, 0, 0))  # PST, UTC-8: 08:00 UTC
        assert sent(pledge)[-1] == ("passed", "2021-03-13")
        # A week later is PDT (UTC-7): local midnight is 07:00 UTC, not 08:00.
        sweep_at(dt.datetime(2021, 3, 21, 6, 59, tzinfo=dt.UTC))
        assert sent(pledge)[-1] == ("passed", "2021-03-13")
        sweep_at(dt.datetime(2021, 3, 21, 7, 0, tzinfo=dt.UTC))
        assert sent(pledge)[-1] == ("overdue", "2021-03-13@2021-03-21")

    def test_a_final_verdict_stops_the_cadence(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        source = SourceFactory(pledge=spring_pledge)
        with time_machine.travel(la(2021, 6, 15, 10, 0), tick=False):
            workflow.record_verdict(
                spring_pledge,
                status=Pledge.Status.KEPT,
                rationale="No police use was found in the year.",
                sources=[source],
                actor=None,
            )
        spring_pledge.refresh_from_db()
        assert spring_pledge.next_reminder_at is None
        sweep_at(la(2021, 6, 18, 0, 0))
        sweep_at(la(2021, 7, 18, 0, 0))
        assert sent(spring_pledge)[-1] == ("passed", "2021-06-10")

    def test_a_non_final_verdict_does_not_stop_it(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        with time_machine.travel(la(2021, 6, 15, 10, 0), tick=False):
            workflow.record_verdict(
                spring_pledge, status=Pledge.Status.STALLED, rationale="Unclear.", actor=None
            )
        sweep_at(la(2021, 6, 18, 0, 0))
        assert sent(spring_pledge)[-1] == ("overdue", "2021-06-10@2021-06-18")


class TestMovedDeadline:
    def test_a_postponed_deadline_rearms_and_the_old_date_is_never_resent(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        with time_machine.travel(la(2021, 6, 15, 10, 0), tick=False):
            workflow.move_deadline(
                spring_pledge,
                new_deadline=dt.date(2021, 12, 31),
                rationale="Extended indefinitely... then to year end.",
                actor=None,
            )
        spring_pledge.refresh_from_db()
        assert spring_pledge.next_reminder_at == la(2021, 12, 1, 0, 0)
        for day in (18, 25):
            sweep_at(la(2021, 6, day, 0, 0))
        sweep_at(la(2021, 12, 1, 0, 0))
        sweep_at(la(2022, 1, 1, 0, 0))
        assert sent(spring_pledge) == [
            ("passed", "2021-06-10"),
            ("upcoming", "2021-12-31/30d"),
            ("passed", "2021-12-31"),
        ]

    def test_moving_it_back_to_a_date_already_handled_resends_nothing(self, spring_pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        for new in (dt.date(2021, 12, 31), dt.date(2021, 6, 10)):
            with time_machine.travel(la(2021, 6, 15, 10, 0), tick=False):
                workflow.move_deadline(
                    spring_pledge, new_deadline=new, rationale="Changed our mind.", actor=None
                )
        sweep_at(la(2021, 6, 15, 10, 2))
        assert sent(spring_pledge) == [("passed", "2021-06-10")]
        assert spring_pledge.events.filter(kind=PledgeEvent.Kind.DEADLINE_PASSED).count() == 1


class TestCatchUp:
    def test_after_weeks_without_a_sweep_only_the_most_imminent_warning_goes_out(
        self, spring_pledge, queued
    ):
        sweep_at(la(2021, 6, 5, 9, 0))  # both the 30- and the 7-day marks are past
        sweep_at(la(2021, 6, 5, 9, 2))
        assert sent(spring_pledge) == [("upcoming", "2021-06-10/7d")]
        assert sum(len(batch) for batch in queued) == 0  # not committed: nothing published

    def test_after_a_long_outage_one_overdue_nudge_and_the_cadence_continues_from_then(
        self, spring_pledge
    ):
        sweep_at(la(2021, 6, 11, 0, 0))
        sweep_at(la(2021, 8, 1, 15, 0))  # seven weeks later
        sweep_at(la(2021, 8, 7, 23, 59))
        sweep_at(la(2021, 8, 8, 0, 0))
        assert sent(spring_pledge)[1:] == [
            ("overdue", "2021-06-10@2021-08-01"),
            ("overdue", "2021-06-10@2021-08-08"),
        ]

    def test_a_deadline_that_passed_long_before_the_first_sweep_sends_passed_once(
        self, company, staff_emails
    ):
        pledge = make_pledge(company, la(2020, 6, 10, 12, 0))
        sweep_at(la(2024, 1, 1, 9, 0))
        sweep_at(la(2024, 1, 1, 9, 2))
        assert sent(pledge) == [("passed", "2021-06-10")]


class TestRecipients:
    def reviewers(self):
        return Group.objects.get_or_create(name="Reviewers")[0]

    def recipients(self, pledge):
        sweep_at(la(2021, 6, 11, 0, 0))
        return sorted(pledge.notifications.values_list("recipient", flat=True))

    def test_the_owner_when_there_is_one(self, spring_pledge):
        self.reviewers()
        UserFactory(username="rev", groups=["Reviewers"])
        spring_pledge.owner = UserFactory(username="owner")
        spring_pledge.save()
        assert self.recipients(spring_pledge) == ["owner@example.org"]

    def test_active_reviewers_when_the_owner_is_missing_or_inactive(self, spring_pledge):
        self.reviewers()
        UserFactory(username="rev1", groups=["Reviewers"])
        UserFactory(username="rev2", groups=["Reviewers"])
        UserFactory(username="gone", groups=["Reviewers"], is_active=False)
        UserFactory(username="editor")
        spring_pledge.owner = UserFactory(username="owner", is_active=False)
        spring_pledge.save()
        assert self.recipients(spring_pledge) == ["rev1@example.org", "rev2@example.org"]

    def test_the_staff_list_when_there_are_no_reviewers(self, spring_pledge):
        assert self.recipients(spring_pledge) == ["advocacy@example.org"]

    def test_nobody_to_remind_still_records_the_event_and_warns(self, company, settings, caplog):
        settings.TRACKER_STAFF_EMAILS = []
        pledge = make_pledge(company, la(2021, 4, 1, 12, 0))
        with caplog.at_level(logging.WARNING, logger="commitments.domain.reminders"):
            report = sweep_at(la(2021, 6, 11, 0, 0))
        assert report.unaddressed == 1
        assert "Nobody to remind about pledge" in caplog.text
        assert pledge.notifications.count() == 0
        assert pledge.events.filter(kind=PledgeEvent.Kind.DEADLINE_PASSED).count() == 1
        # Not retried every two minutes: the next look is a week later.
        pledge.refresh_from_db()
        assert pledge.next_reminder_at == la(2021, 6, 18, 0, 0)


class TestSweep:
    def test_unpublished_and_rated_pledges_are_never_looked_at(self, company, staff_emails):
        draft = make_pledge(company, la(2021, 4, 1, 12, 0), is_published=False)
        undated = make_pledge(company, la(2021, 4, 1, 12, 0), deadline=None)
        assert draft.next_reminder_at is None
        assert undated.next_reminder_at is None
        report = sweep_at(la(2021, 7, 1, 0, 0))
        assert report.checked == 0

    def test_a_pledge_that_breaks_the_sweep_is_set_aside_for_an_hour(
        self, company, staff_emails, monkeypatch
    ):
        broken = make_pledge(company, la(2021, 4, 1, 12, 0))
        fine = make_pledge(company, la(2021, 4, 1, 12, 0))
        real = reminders.recipients

        def recipients(pledge):
            if pledge.pk == broken.pk:
                raise RuntimeError("boom")
            return real(pledge)

        monkeypatch.setattr(reminders, "recipients", recipients)
        report = sweep_at(la(2021, 6, 11, 0, 0))
        assert report.errors == 1
        assert sent(fine) == [("passed", "2021-06-10")]
        broken.refresh_from_db()
        assert broken.next_reminder_at == la(2021, 6, 11, 1, 0)
        assert broken.events.filter(kind=PledgeEvent.Kind.DEADLINE_PASSED).count() == 0

    def test_a_batch_of_due_pledges_costs_the_same_statements_at_14_and_42(
        self, company, staff_emails, caplog
    ):
        owner = UserFactory(username="olive", email="olive@example.org")
        sweep_at(la(2021, 4, 1, 12, 2))  # steady state: the heartbeat row exists

        def sweep_pledges_passing(n, deadline):
            # Owned and unowned pledges passing their deadline together: events, reminders
            # to the owner and to the staff list, some held for the daily digest.
            pledges = [
                make_pledge(
                    company,
                    la(2021, 4, 1, 12, 0),
                    deadline=deadline,
                    owner=owner if i % 2 else None,
                )
                for i in range(n)
            ]
            moment = la(deadline.year, deadline.month, deadline.day + 1, 0, 0)
            with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as q:
                report = reminders.sweep_pledges(timezone.now())
            assert (report.checked, report.events, len(report.reminders)) == (n, n, n)
            assert all(sent(p) == [("passed", deadline.isoformat())] for p in pledges)
            Pledge.objects.update(next_reminder_at=None)  # out of the next measurement
            return [x["sql"][:40] for x in q.captured_queries if "SAVEPOINT" not in x["sql"]]

        # (Up to ~60: SQLite splits an INSERT of more rows by its limit on parameters; more
        # than 5 reminders to each recipient, so both runs hold some for the digest.)
        assert sweep_pledges_passing(14, dt.date(2021, 6, 10)) == sweep_pledges_passing(
            42, dt.date(2021, 7, 10)
        )
        assert "one by one" not in caplog.text  # swept as batches, not pledge by pledge

    def test_an_edit_between_reading_and_claiming_wins_and_the_next_sweep_decides(
        self, spring_pledge, monkeypatch
    ):
        real_plan = schedule.plan

        def plan_while_staff_edit(*args):
            decided = real_plan(*args)
            Pledge.objects.get(pk=spring_pledge.pk).save()  # staff save meanwhile
            return decided

        with time_machine.travel(la(2021, 6, 11, 0, 0), tick=False):
            spring_pledge.save()  # looked at after its deadline: due from when it passed
        monkeypatch.setattr(schedule, "plan", plan_while_staff_edit)
        with time_machine.travel(la(2021, 6, 11, 0, 1), tick=True):
            report = reminders.sweep_deadlines()
        assert (report.checked, report.reminders, sent(spring_pledge)) == (1, [], [])
        monkeypatch.setattr(schedule, "plan", real_plan)
        sweep_at(la(2021, 6, 11, 0, 3))
        assert sent(spring_pledge) == [("passed", "2021-06-10")]

    def test_the_sweep_reads_only_due_pledges_in_a_fixed_number_of_queries(
        self, company, staff_emails, django_assert_num_queries
    ):
        make_pledge(company, la(2021, 4, 1, 12, 0))
        for _ in range(5):
            make_pledge(company, la(2021, 4, 1, 12, 0), deadline=dt.date(2030, 1, 1))
        sweep_at(la(2021, 4, 1, 12, 2))  # steady state: the heartbeat row exists
        # 1 list the due pledges; for the batch: 2 savepoint, 1 lock + read, 1 reminders
        # written, 1 claim, 2 event read + insert, 1 reviewers, 1 insert, 1 ids, 2 digest rule
        # (the rows, how many went today), 1 mark queued; 1 digests due, 3 recovery, 1
        # heartbeat update. The five pledges not due cost nothing.
        with (
            time_machine.travel(la(2021, 6, 11, 0, 0), tick=False),
            django_assert_num_queries(19),
        ):
            report = reminders.sweep_deadlines()
        assert report.checked == 1
