"""The link checker against a real local server: statuses, broken sources, the per-host
budget (measured at the server), and a run that dies half-way."""

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from commitments.domain import fetching, linkcheck
from commitments.models import ContentVersion, Source
from tests.factories import SourceFactory
from tests.webserver import page, redirect

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fresh(source):
    return Source.objects.get(pk=source.pk)


def test_a_working_source_records_its_status_and_final_url(web, pledge, clock):
    web.route("/story", redirect("/story-moved", 301))
    web.route("/story-moved", page(200))
    source = SourceFactory(pledge=pledge, url=web.url("/story"))

    report = linkcheck.check_due_sources()

    source = fresh(source)
    assert (report.checked, report.ok) == (1, 1)
    assert (source.last_status, source.last_error) == (200, "")
    assert source.final_url == web.url("/story-moved")
    assert source.last_checked_at == source.last_ok_at == START
    assert source.first_failed_at is None
    assert START < source.next_check_at <= START + dt.timedelta(days=7)


def test_a_404_fails_and_turns_broken_after_failing_for_more_than_the_broken_days(
    web, pledge, clock
):
    source = SourceFactory(pledge=pledge, url=web.url("/deleted-press-release"))

    linkcheck.check_due_sources()
    source = fresh(source)
    assert (source.last_status, source.last_error) == (404, "HTTP 404")
    assert source.first_failed_at == START
    assert source.broken_since is None
    # Failing sources are looked at daily, not weekly.
    assert source.next_check_at <= START + dt.timedelta(days=1)

    newly_broken = 0
    for day in range(1, 9):
        clock.move_to(START + dt.timedelta(days=day, minutes=30))
        newly_broken += linkcheck.check_due_sources().newly_broken
        # Failing for 6 days and a half: not yet; for 7 and a half: broken.
        assert (fresh(source).broken_since is None) == (day <= 6), day
    source = fresh(source)
    assert newly_broken == 1
    assert source.is_broken
    assert Source.objects.broken().get() == source

    web.route("/deleted-press-release", page(200))  # the site put it back
    clock.move_to(START + dt.timedelta(days=10))
    linkcheck.check_due_sources()
    source = fresh(source)
    assert (source.broken_since, source.first_failed_at, source.last_ok_at) == (
        None,
        None,
        START + dt.timedelta(days=10),
    )


def test_a_refused_or_hanging_source_is_failing_with_the_reason(web, pledge, clock):
    web.route("/to-metadata", redirect("http://169.254.169.254/latest/meta-data/"))
    refused = SourceFactory(pledge=pledge, url=web.url("/to-metadata"))

    linkcheck.check_due_sources()

    refused = fresh(refused)
    assert refused.last_status is None
    assert "169.254.169.254 is a link-local address" in refused.last_error
    assert refused.first_failed_at == START


def test_a_check_that_finds_nothing_new_leaves_the_public_pages_alone(web, pledge, clock):
    web.route("/story", page(200))
    source = SourceFactory(pledge=pledge, url=web.url("/story"))
    before = ContentVersion.current()

    linkcheck.check_due_sources()

    assert fresh(source).last_status == 200
    assert ContentVersion.current() == before


def test_turning_broken_moves_the_public_content_version(web, pledge, clock):
    source = SourceFactory(pledge=pledge, url=web.url("/gone"))
    Source.objects.filter(pk=source.pk).update(first_failed_at=START - dt.timedelta(days=8))
    before = ContentVersion.current()

    linkcheck.check_due_sources()

    assert fresh(source).broken_since == START
    assert ContentVersion.current() != before


def test_checks_are_spread_over_the_week(db):
    now = timezone.now()
    week = dt.timedelta(days=7)
    slots = sorted(linkcheck.next_slot(pk, now, week) for pk in range(1, 10_001))
    per_hour = {}
    for slot in slots:
        hour = (slot - now) // dt.timedelta(hours=1)
        per_hour[hour] = per_hour.get(hour, 0) + 1
    # 10,000 sources over 168 hours: about 60 an hour, none bunched.
    assert len(per_hour) == 168
    assert max(per_hour.values()) < 90


def _most_in_any_window(times, window):
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_the_per_host_limit_is_never_exceeded_measured_at_the_server(web, pledge, settings, clock):
    settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = 3
    # Half the pages refuse HEAD, so their check costs two requests (HEAD, then GET).
    for n in range(12):
        web.route(f"/s{n}", page(200) if n % 2 else _head_refused)
        SourceFactory(pledge=pledge, url=web.url(f"/s{n}"))

    for step in range(60):  # ten minutes, a run every ten seconds
        clock.move_to(START + dt.timedelta(seconds=10 * step))
        linkcheck.check_due_sources()

    assert Source.objects.filter(last_status=200).count() == 12
    assert _most_in_any_window([seen.at for seen in web.seen], 60) == 3
    assert len(web.seen) == 18  # each page's requests once: nothing sent and thrown away


def _head_refused(handler):
    if handler.command == "HEAD":
        handler.reply(405)
    else:
        handler.reply(200, b"ok")


def test_the_per_host_limit_holds_in_real_time(web, pledge, settings, monkeypatch):
    settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = 3
    # A short "minute" for the test, and a margin for the way from the grant to the server.
    monkeypatch.setattr(linkcheck, "WINDOW_SECONDS", 1.0)
    monkeypatch.setattr(linkcheck, "MARGIN_SECONDS", 0.25)
    web.route("*", page(200))
    for n in range(8):
        SourceFactory(pledge=pledge, url=web.url(f"/s{n}"))
    started = time.time()
    while Source.objects.filter(last_status__isnull=True).exists():
        linkcheck.check_due_sources(run_seconds=0.2)
        assert time.time() - started < 10

    assert _most_in_any_window([seen.at for seen in web.seen], 1.0) <= 3
    assert len(web.seen) == 8


def test_other_hosts_are_checked_while_one_waits_for_its_budget(web, pledge, settings, clock):
    settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = 1
    settings.TRACKER_FETCH_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]  # two hosts
    web.route("*", page(200))
    for n in range(3):
        SourceFactory(pledge=pledge, url=web.url(f"/busy{n}"))
    other = SourceFactory(pledge=pledge, url=web.url("/other", host="127.0.0.1"))

    due = {s.pk: s.next_check_at for s in Source.objects.all()}

    report = linkcheck.check_due_sources()

    assert (report.checked, report.deferred) == (2, 2)
    assert fresh(other).last_status == 200
    # The two that waited keep their place in line for the next run with budget.
    waited = {s.pk: s.next_check_at for s in Source.objects.filter(last_checked_at=None)}
    assert len(waited) == 2
    assert all(at == due[pk] for pk, at in waited.items())


def test_a_site_that_answers_429_hears_nothing_more_from_us_until_its_retry_after(
    web, pledge, settings, clock
):
    settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = 10
    settings.TRACKER_FETCH_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]  # two hosts
    web.route("/first", page(429, b"slow down", {"Retry-After": "300"}))
    web.route("*", page(200))
    first = SourceFactory(pledge=pledge, url=web.url("/first"))
    same_site = [SourceFactory(pledge=pledge, url=web.url(f"/s{n}")) for n in range(3)]
    other_site = SourceFactory(pledge=pledge, url=web.url("/other", host="127.0.0.1"))

    report = linkcheck.check_due_sources()

    assert (report.checked, report.deferred) == (2, 3)
    assert [(s.method, s.path) for s in web.seen] == [("HEAD", "/first"), ("HEAD", "/other")]
    first = fresh(first)
    assert (first.last_status, first.first_failed_at) == (429, None)  # not counted as failing
    assert first.last_error == "Rate limited by the site (429): asked to wait 300 s."
    assert fresh(other_site).last_status == 200

    # The source that met the held host is due again when the hold ends, not at every run.
    assert fresh(same_site[0]).next_check_at == START + dt.timedelta(seconds=300)
    # Any run, a second before the wait is over: still nothing for that site.
    clock.move_to(START + dt.timedelta(seconds=299))
    assert linkcheck.check_due_sources().deferred == 2
    assert len(web.seen) == 2
    clock.move_to(START + dt.timedelta(seconds=301))
    assert linkcheck.check_due_sources().checked == 3
    assert all(fresh(source).last_status == 200 for source in same_site)


class WorkerKilled(BaseException):
    """Stands for the worker process dying (not an exception the run could catch)."""


def test_a_run_that_dies_half_way_resumes_without_rechecking_or_skipping(
    web, pledge, monkeypatch, clock
):
    web.route("*", page(200))
    sources = [SourceFactory(pledge=pledge, url=web.url(f"/s{n}")) for n in range(8)]
    real_check = fetching.check
    calls = []

    def dies_on_the_fourth(url, **kwargs):
        calls.append(url)
        if len(calls) == 4:
            raise WorkerKilled
        return real_check(url, **kwargs)

    monkeypatch.setattr(fetching, "check", dies_on_the_fourth)
    with pytest.raises(WorkerKilled):
        linkcheck.check_due_sources()
    monkeypatch.setattr(fetching, "check", real_check)
    assert len(web.seen) == 3

    clock.move_to(START + dt.timedelta(minutes=2))  # the host's budget has room again
    assert linkcheck.check_due_sources().checked == 4  # the rest; not the three, not the claimed
    clock.move_to(START + dt.timedelta(minutes=11))  # the dead run's claim has lapsed
    assert linkcheck.check_due_sources().checked == 1

    assert sorted(seen.path for seen in web.seen) == sorted(f"/s{n}" for n in range(8))
    assert all(fresh(source).last_status == 200 for source in sources)


def test_an_archived_copy_is_checked_in_the_same_pass(web, pledge, clock):
    web.route("/story", page(200))
    source = SourceFactory(
        pledge=pledge, url=web.url("/story"), archive_url=web.url("/web/2020/story")
    )

    linkcheck.check_due_sources()

    assert fresh(source).archive_check == "HTTP 404"


def test_an_archive_that_answers_429_is_not_asked_again_before_its_retry_after(
    web, pledge, settings, clock
):
    settings.TRACKER_FETCH_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]  # sites, archive
    web.route("/web/1/story", page(429, b"slow down", {"Retry-After": "600"}))
    web.route("*", page(200))
    for n in range(2):
        SourceFactory(
            pledge=pledge,
            url=web.url(f"/story{n}"),
            archive_url=web.url(f"/web/{n + 1}/story", host="127.0.0.1"),
        )

    linkcheck.check_due_sources()

    archive_requests = [seen.path for seen in web.seen if seen.path.startswith("/web/")]
    assert archive_requests == ["/web/1/story"]
    assert list(Source.objects.order_by("pk").values_list("archive_check", flat=True)) == [
        "HTTP 429: asked to wait 600 s",
        "",
    ]
    # The archive's host stays held, for every worker, until the wait is over.
    clock.move_to(START + dt.timedelta(seconds=599))
    assert not linkcheck.take_request("127.0.0.1")
    clock.move_to(START + dt.timedelta(seconds=601))
    assert linkcheck.take_request("127.0.0.1")


def test_a_corrected_url_is_checked_afresh(web, pledge, clock):
    source = SourceFactory(pledge=pledge, url=web.url("/old"))
    Source.objects.filter(pk=source.pk).update(
        broken_since=START, first_failed_at=START, next_check_at=START + dt.timedelta(days=1)
    )
    source = fresh(source)

    source.url = web.url("/new")
    source.save()

    source = fresh(source)
    assert (source.broken_since, source.first_failed_at, source.next_check_at) == (
        None,
        None,
        START,
    )
