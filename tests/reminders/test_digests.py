"""Daily digests: on a busy day a reviewer gets five reminders and one digest, not hundreds."""

import datetime as dt

import pytest
import time_machine

from commitments.domain import digests, reminders, workflow
from commitments.mail.tasks import send_notifications
from commitments.models import Notification, ReminderPreference
from tests.factories import CompanyFactory, PledgeFactory, SourceFactory, UserFactory
from tests.reminders.conftest import la
from tests.reminders.smtp import Greylisting, Sink, smtp_sink

pytestmark = pytest.mark.django_db

Status = Notification.Status
# Ten pledges whose deadline (10 June 2021) passed at midnight; the digest hour is 08:00.
PASSED_AT = la(2021, 6, 11, 0, 0)
DIGEST_AT = la(2021, 6, 11, 8, 0)


@pytest.fixture
def rita():
    return UserFactory(username="rita", email="rita@example.org", groups=["Reviewers"])


def overdue_pledges(n):
    company = CompanyFactory(name="Amazon")
    with time_machine.travel(la(2021, 4, 1, 12, 0), tick=False):
        return [
            PledgeFactory(
                company=company, title=f"Pledge number {i}", deadline=dt.date(2021, 6, 10)
            )
            for i in range(n)
        ]


def prefer(user, mode):
    ReminderPreference.objects.update_or_create(user=user, defaults={"mode": mode})


def sweep(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return reminders.sweep_deadlines()


def statuses(recipient):
    rows = Notification.objects.filter(recipient=recipient).staff_reminders()
    return sorted(rows.values_list("status", flat=True))


def deliver(queued, moment):
    batches, queued[:] = list(queued), []
    with time_machine.travel(moment, tick=False):
        for batch in batches:
            send_notifications(batch)


@pytest.fixture
def smtp(settings):
    def use(port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 2

    return use


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


class TestWhoWaits:
    def test_automatic_sends_the_first_five_of_a_day_and_holds_the_rest(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        overdue_pledges(8)
        report = sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert statuses("rita@example.org") == [Status.HELD] * 3 + [Status.PENDING] * 5
        assert sum(len(batch) for batch in queued) == 5
        assert report.held == 3

    def test_a_quiet_day_looks_as_it_always_did(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        overdue_pledges(4)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert statuses("rita@example.org") == [Status.PENDING] * 4

    def test_the_threshold_is_a_setting(
        self, rita, queued, settings, django_capture_on_commit_callbacks
    ):
        settings.TRACKER_DIGEST_THRESHOLD = 1
        overdue_pledges(3)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert statuses("rita@example.org") == [Status.HELD] * 2 + [Status.PENDING]

    @pytest.mark.parametrize(
        ("mode", "expected"),
        [("immediate", [Status.PENDING] * 8), ("digest", [Status.HELD] * 8)],
    )
    def test_each_person_chooses(
        self, rita, queued, mode, expected, django_capture_on_commit_callbacks
    ):
        prefer(rita, mode)
        overdue_pledges(8)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert statuses("rita@example.org") == expected

    def test_two_reviewers_are_counted_separately(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        sam = UserFactory(username="sam", email="sam@example.org", groups=["Reviewers"])
        prefer(sam, "immediate")
        overdue_pledges(7)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert statuses("rita@example.org").count(Status.HELD) == 2
        assert statuses("sam@example.org") == [Status.PENDING] * 7

    def test_a_held_reminder_is_never_sent_on_its_own(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        prefer(rita, "digest")
        overdue_pledges(2)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        queued.clear()
        # Recovery re-queues lost pending rows; held ones are not pending.
        sweep(la(2021, 6, 11, 7, 59), django_capture_on_commit_callbacks)
        assert queued == []


class TestTheDigest:
    def test_it_reaches_the_smtp_server_once_listing_every_pledge(
        self, rita, queued, smtp, django_capture_on_commit_callbacks
    ):
        prefer(rita, "digest")
        pledges = overdue_pledges(7)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert queued == []
        sink = Sink()
        with smtp_sink(sink) as port:
            smtp(port)
            sweep(DIGEST_AT, django_capture_on_commit_callbacks)
            deliver(queued, DIGEST_AT)
            # Later sweeps that day make no second digest.
            for minute in (2, 4, 30):
                sweep(DIGEST_AT + dt.timedelta(minutes=minute), django_capture_on_commit_callbacks)
                deliver(queued, DIGEST_AT + dt.timedelta(minutes=minute))
        [message] = sink.received
        assert message["To"] == "rita@example.org"
        assert message["Subject"] == "7 pledges awaiting you: daily digest"
        body = text_of(message)
        for pledge in pledges:
            assert pledge.title in body
            assert f"/admin/commitments/pledge/{pledge.pk}/verdict/" in body
        assert "1 day past the deadline" in body
        assert statuses("rita@example.org") == [Status.IN_DIGEST] * 7

    def test_a_greylisting_server_gets_it_on_the_retry_and_only_once(
        self, rita, queued, smtp, django_capture_on_commit_callbacks
    ):
        prefer(rita, "digest")
        overdue_pledges(3)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        server = Greylisting()
        with smtp_sink(server) as port:
            smtp(port)
            sweep(DIGEST_AT, django_capture_on_commit_callbacks)
            deliver(queued, DIGEST_AT)
            digest = Notification.objects.get(kind="digest")
            assert digest.status == Status.PENDING  # greylisted: 451, retried later
            digest.refresh_from_db()
            later = digest.retry_after + dt.timedelta(seconds=1)
            sweep(later, django_capture_on_commit_callbacks)
            deliver(queued, later)
        assert len(server.received) == 1
        assert Notification.objects.get(kind="digest").status == Status.SENT

    def test_it_waits_for_the_hour_in_the_trackers_zone(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        prefer(rita, "digest")
        overdue_pledges(2)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        assert sweep(la(2021, 6, 11, 7, 58), django_capture_on_commit_callbacks).digests == 0
        assert sweep(DIGEST_AT, django_capture_on_commit_callbacks).digests == 1

    def test_a_pledge_ruled_on_before_the_digest_is_left_out(
        self, rita, queued, django_capture_on_commit_callbacks, mailoutbox
    ):
        prefer(rita, "digest")
        first, second = overdue_pledges(2)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        with time_machine.travel(la(2021, 6, 11, 7, 0), tick=False):
            workflow.record_verdict(
                first,
                status="kept",
                rationale="Done.",
                actor=rita,
                sources=[SourceFactory(pledge=first)],
            )
        sweep(DIGEST_AT, django_capture_on_commit_callbacks)
        deliver(
            [b for b in queued if Notification.objects.filter(pk__in=b, kind="digest").exists()],
            DIGEST_AT,
        )
        [message] = [m for m in mailoutbox if "digest" in m.subject]
        assert second.title in message.body
        assert first.title not in message.body

    def test_a_digest_with_nothing_left_to_say_is_skipped(
        self, rita, queued, django_capture_on_commit_callbacks, mailoutbox
    ):
        prefer(rita, "digest")
        [pledge] = overdue_pledges(1)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        with time_machine.travel(la(2021, 6, 11, 7, 0), tick=False):
            workflow.move_deadline(
                pledge, new_deadline=dt.date(2022, 6, 10), rationale="Extended.", actor=rita
            )
        sweep(DIGEST_AT, django_capture_on_commit_callbacks)
        deliver(queued, DIGEST_AT)
        assert mailoutbox == []
        assert Notification.objects.get(kind="digest").status == Status.SKIPPED

    def test_racing_sweeps_make_one_digest(self, rita, queued, django_capture_on_commit_callbacks):
        prefer(rita, "digest")
        overdue_pledges(3)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        with time_machine.travel(DIGEST_AT, tick=False):
            assert digests.send_due() == 1
            assert digests.send_due() == 0
        assert Notification.objects.filter(kind="digest").count() == 1

    def test_a_reminder_held_after_todays_digest_waits_for_tomorrows(
        self, rita, queued, django_capture_on_commit_callbacks
    ):
        prefer(rita, "digest")
        overdue_pledges(1)
        sweep(PASSED_AT, django_capture_on_commit_callbacks)
        sweep(DIGEST_AT, django_capture_on_commit_callbacks)
        with time_machine.travel(la(2021, 4, 1, 12, 0), tick=False):
            late = PledgeFactory(title="Announced later", deadline=dt.date(2021, 6, 10))
        sweep(la(2021, 6, 11, 9, 0), django_capture_on_commit_callbacks)
        assert (
            Notification.objects.get(pledge=late, recipient="rita@example.org").status
            == Status.HELD
        )
        sweep(la(2021, 6, 12, 8, 0), django_capture_on_commit_callbacks)
        assert list(
            Notification.objects.filter(kind="digest")
            .order_by("occurrence")
            .values_list("occurrence", flat=True)
        ) == ["2021-06-11", "2021-06-12"]


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 3, 8), dt.date(2026, 11, 1), dt.date(2026, 6, 1)],
    ids=["spring-forward", "fall-back", "summer"],
)
def test_the_digest_hour_is_on_the_wall_clock_on_the_days_clocks_change(day):
    moment = digests.digest_moment(la(day.year, day.month, day.day, 12, 0))
    local = moment.astimezone(la(2026, 1, 1).tzinfo)
    assert (local.date(), local.hour, local.minute) == (day, 8, 0)
