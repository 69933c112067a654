import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.alerts import fanout, subscriptions, tokens
from commitments.alerts.tasks import fan_out_alerts
from commitments.domain import reminders, workflow
from commitments.mail import delivery
from commitments.models import Notification, PledgeEvent, Subscriber, Suppression
from tests.alerts.conftest import follow, follow_many, sent_to
from tests.factories import CompanyFactory, EventFactory, PledgeFactory, SourceFactory


def verdict(pledge, actor, status="in_progress"):
    return workflow.record_verdict(pledge, status=status, rationale=f"Now {status}.", actor=actor)


def test_a_verdict_reaches_each_matching_address_exactly_once(pledge, superuser, committed):
    other = PledgeFactory(company=CompanyFactory(name="Microsoft"))
    follow("ann@example.org", scope="pledge", pledge=pledge)
    follow("ann@example.org", scope="all")  # two matching subscriptions, one email
    follow("bob@example.org", scope="company", company=pledge.company)
    follow("cy@example.org", scope="pledge", pledge=other)
    follow("dee@example.org", scope="all", on_verdict=False)
    follow("fay@example.org", scope="all")
    Suppression.suppress("fay@example.org", Suppression.Reason.STAFF)
    subscriptions.request_subscription("eve@example.org", "all", ["verdict"])  # unconfirmed
    mail.outbox.clear()

    with committed():
        verdict(pledge, superuser)

    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bob@example.org"]
    assert PledgeEvent.objects.get(kind="status_changed").alerts_queued_at is not None


@pytest.mark.parametrize("kind", ["verdict", "moved", "passed", "upcoming"])
def test_every_alert_carries_a_visible_link_and_the_rfc_8058_headers(
    pledge, superuser, committed, kind
):
    subscription = follow("ann@example.org", on_upcoming=True)
    with time_machine.travel("2021-06-09 12:00Z"), committed():
        if kind == "verdict":
            verdict(pledge, superuser)
        elif kind == "moved":
            workflow.move_deadline(
                pledge, new_deadline=dt.date(2022, 1, 1), rationale="Extended.", actor=superuser
            )
        elif kind == "passed":
            pledge.deadline = dt.date(2021, 6, 8)
            pledge.save()
            # Tracked before its deadline passed (the fixture was made "today", in 2026).
            type(pledge).objects.filter(pk=pledge.pk).update(created_at="2021-01-01T00:00Z")
            reminders.sweep_deadlines()  # writes "deadline passed", fans it out after commit
        else:
            fan_out_alerts()
    [alert] = mail.outbox
    url = tokens.unsubscribe_url(subscription.subscriber)
    assert alert.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in alert.body
    assert url in alert.alternatives[0].content
    assert "/alerts/manage/" in alert.body


def test_notes_announcements_drafts_and_long_gone_deadlines_alert_nobody(pledge, committed):
    follow("ann@example.org")
    draft = PledgeFactory(company=pledge.company, is_published=False)
    with time_machine.travel("2021-06-09 12:00Z"), committed():
        EventFactory(pledge=pledge, kind="note", occurred_on=dt.date(2021, 6, 9))
        EventFactory(pledge=draft, kind="status_changed", occurred_on=dt.date(2021, 6, 9))
        # A pledge logged (or imported) today whose deadline passed in 2020: history.
        EventFactory(
            pledge=pledge,
            kind="deadline_passed",
            old_deadline=dt.date(2020, 12, 31),
            occurred_on=dt.date(2021, 1, 1),
        )
    with time_machine.travel("2021-06-09 12:05Z"), committed():
        fan_out_alerts()  # the periodic fan-out looks at every event not yet handled
    assert mail.outbox == []
    handled = PledgeEvent.objects.exclude(kind="announced")
    assert handled.count() == 3
    assert not handled.filter(alerts_queued_at__isnull=True).exists()


def test_a_backdated_verdict_recorded_today_is_news_to_followers(pledge, superuser, committed):
    follow("ann@example.org")
    with time_machine.travel("2021-06-09 12:00Z"), committed():
        workflow.record_verdict(
            pledge,
            status="in_progress",
            rationale="Took effect in March; we learnt of it today.",
            effective_on=dt.date(2021, 3, 1),
            actor=superuser,
        )
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]


def test_news_recorded_weeks_ago_and_found_late_by_the_recovery_sweep_is_not_sent(
    pledge, superuser, committed
):
    follow("ann@example.org")
    with time_machine.travel("2021-05-01 12:00Z"):
        verdict(pledge, superuser)  # committed, but its on-commit trigger never ran
    with time_machine.travel("2021-06-09 12:00Z"), committed():
        fan_out_alerts()
    assert mail.outbox == []


def test_an_event_is_fanned_out_once_however_often_it_is_claimed(pledge, superuser):
    follow("ann@example.org")
    event = verdict(pledge, superuser)  # no commit: the trigger has not run
    assert fanout.fan_out_event(event.pk) == 1
    assert fanout.fan_out_event(event.pk) == 0
    assert fanout.fan_out_pending() == 0
    assert Notification.objects.filter(kind="alert").count() == 1


def test_the_periodic_task_picks_up_events_the_trigger_missed(pledge, superuser, committed):
    follow("ann@example.org")
    verdict(pledge, superuser)  # committed without its on-commit trigger (e.g. broker down)
    assert mail.outbox == []
    with committed():
        fan_out_alerts()
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]


def test_the_seven_day_warning_goes_out_once_per_deadline(pledge, superuser, committed):
    follow("ann@example.org", on_upcoming=True)
    follow("bob@example.org")  # did not ask for the warning
    with time_machine.travel("2021-06-02 12:00Z"), committed():
        fan_out_alerts()  # 8 days ahead: too early
    assert mail.outbox == []
    for day in ("2021-06-03 12:00Z", "2021-06-04 12:00Z"):
        with time_machine.travel(day), committed():
            fan_out_alerts()
    [warning] = mail.outbox
    assert warning.to == ["ann@example.org"]
    assert "7 days from now" in warning.body

    with time_machine.travel("2021-06-05 12:00Z"), committed():
        workflow.move_deadline(
            pledge, new_deadline=dt.date(2021, 6, 8), rationale="Sooner.", actor=superuser
        )
        fan_out_alerts()
    assert len(sent_to("ann@example.org")) == 3  # the move, and the new date's warning


def test_unsubscribing_mid_fan_out_stops_further_mail(pledge, superuser, settings):
    settings.TRACKER_DELIVERY_BATCH_SIZE = 100
    for n in range(300):
        follow(f"reader{n:03}@example.org")
    event = verdict(pledge, superuser)
    fanout.fan_out_event(event.pk)
    ids = list(
        Notification.objects.filter(kind="alert").order_by("pk").values_list("pk", flat=True)
    )
    assert len(ids) == 300

    delivery.send_batch(ids[:100])
    # While the first batch was going out, three readers changed their minds.
    leaver = Subscriber.objects.get(email="reader150@example.org")
    subscriptions.leave_everything(leaver.pk)
    dropper = Subscriber.objects.get(email="reader200@example.org")
    subscriptions.stop_following(dropper, dropper.subscriptions.values("pk"))
    Suppression.suppress("reader250@example.org", Suppression.Reason.STAFF)
    # A reader already mailed who leaves keeps their single email, and gets no more.
    subscriptions.leave_everything(Subscriber.objects.get(email="reader050@example.org").pk)
    delivery.send_batch(ids[100:200])
    delivery.send_batch(ids[200:])

    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == 297
    for address in ("reader150@example.org", "reader200@example.org", "reader250@example.org"):
        assert address not in recipients
    failed = Notification.objects.get(recipient="reader250@example.org")
    assert failed.status == Notification.Status.FAILED
    assert "suppressed" in failed.last_error
    assert not Notification.objects.filter(recipient="reader150@example.org").exists()


def test_fan_out_queries_do_not_grow_with_subscribers(pledge):
    def queries_for(n):
        follow_many(n, prefix=f"r{Subscriber.objects.count()}-")
        event = EventFactory(
            pledge=pledge, kind="status_changed", occurred_on=dt.date.today(), new_status="stalled"
        )
        with CaptureQueriesContext(connection) as ctx:
            fanout.fan_out_event(event.pk)
        sqls = [q["sql"] for q in ctx.captured_queries]
        inserts = [q for q in sqls if q.startswith("INSERT")]
        return len(sqls) - len(inserts), len(inserts)

    few, few_inserts = queries_for(5)
    many, many_inserts = queries_for(2_000)
    assert many == few
    # Rows go in by the thousand (fewer per statement where SQLite caps parameters).
    assert few_inserts == 1
    assert many_inserts <= 2_005 / 50


def test_a_broker_outage_does_not_fail_the_change_that_made_the_event(
    db, pledge, superuser, monkeypatch, django_capture_on_commit_callbacks
):
    from commitments.alerts import tasks as alert_tasks
    from commitments.domain import workflow
    from commitments.models import PledgeEvent

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(alert_tasks.fan_out_event, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_verdict(
            pledge, status="in_progress", rationale="Under way.", actor=superuser
        )
    event = PledgeEvent.objects.get(pledge=pledge, kind="status_changed")
    assert event.alerts_queued_at is None  # left for the periodic fan-out to pick up


def test_a_verdict_alert_gives_the_rationale_and_the_evidence_not_only_a_link(
    pledge, superuser, committed
):
    follow("ann@example.org")
    source = SourceFactory(
        pledge=pledge,
        url="https://news.example.com/kept",
        title="Moratorium <extended> & kept",
        publisher="Example News",
        archive_url="https://web.archive.org/web/2021/https://news.example.com/kept",
    )
    with committed():
        workflow.record_verdict(
            pledge,
            status="kept",
            rationale="The ban held for the full year.",
            sources=[source],
            actor=superuser,
        )
    [alert] = mail.outbox
    assert "Why: The ban held for the full year." in alert.body
    assert (
        "- Moratorium <extended> & kept, Example News: https://news.example.com/kept"
        " (archived copy: https://web.archive.org/web/2021/https://news.example.com/kept)"
    ) in alert.body
    html = alert.alternatives[0].content
    assert "<strong>Why:</strong> The ban held for the full year." in html
    assert (
        '<a href="https://news.example.com/kept">Moratorium &lt;extended&gt; &amp; kept</a>'
        ", Example News"
    ) in html
