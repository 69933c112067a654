"""The archiver against a fake Save Page Now service on a local server."""

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest
import time_machine

from commitments.domain import archiving, tasks
from commitments.models import ContentVersion, Source
from tests.factories import SourceFactory
from tests.webserver import page

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
STORY = "https://news.example.com/amazon-moratorium"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def archive(web, settings):
    """Save Page Now, as documented: POST url= → job id; GET status/<job> → timestamp."""
    settings.TRACKER_ARCHIVE_URL = web.url("/save")
    settings.TRACKER_ARCHIVE_ACCESS_KEY = "key"
    settings.TRACKER_ARCHIVE_SECRET_KEY = "secret"
    submitted = []

    def save(handler):
        body = handler.server.seen[-1].body.decode()
        submitted.append(parse_qs(body)["url"][0])
        handler.reply(200, json.dumps({"url": submitted[-1], "job_id": "spn2-1"}).encode())

    def status(handler):
        answer = {
            "status": "success",
            "timestamp": "20200612093000",
            "original_url": submitted[-1],
        }
        handler.reply(200, json.dumps(answer).encode())

    web.route("/save", save)
    web.route("/save/status/spn2-1", status)
    web.submitted = submitted
    return web


def fresh(source):
    return Source.objects.get(pk=source.pk)


def test_a_new_source_is_archived_and_its_copy_kept(archive, pledge, clock):
    source = SourceFactory(pledge=pledge, url=STORY)
    before = ContentVersion.current()

    assert archiving.archive_once(source.pk).result == "capturing"
    clock.shift(dt.timedelta(seconds=21))
    assert archiving.archive_once(source.pk).result == "archived"

    source = fresh(source)
    assert source.archive_url == archive.url(f"/web/20200612093000/{STORY}")
    assert source.archived_at == dt.datetime(2020, 6, 12, 9, 30, tzinfo=dt.UTC)
    assert source.archived_on == dt.date(2020, 6, 12)
    assert (source.archive_due_at, source.archive_error, source.archive_job) == (None, "", "")
    assert archive.submitted == [STORY]
    assert archive.seen[0].headers["Authorization"] == "LOW key:secret"
    assert ContentVersion.current() != before  # the public page shows the copy


def test_a_failing_archive_is_retried_with_growing_waits_and_shown_to_staff(archive, pledge, clock):
    archive.route("/save", page(502, b"bad gateway"))
    source = SourceFactory(pledge=pledge, url=STORY)

    first = archiving.archive_once(source.pk)
    assert (first.result, first.retry_in) == ("failed", 30)
    source = fresh(source)
    assert source.archive_error == "The archive answered HTTP 502."
    assert source.archive_attempts == 1
    assert source.archive_due_at == START + dt.timedelta(seconds=30)

    assert archiving.archive_once(source.pk).result == "not-due"  # waits its turn
    clock.shift(dt.timedelta(seconds=31))
    assert archiving.archive_once(source.pk).retry_in == 60
    assert len(archive.seen) == 2


def test_the_archive_gives_up_after_the_last_attempt_and_archive_now_starts_again(
    archive, pledge, clock
):
    archive.route(
        "/save", page(200, json.dumps({"status": "error", "message": "Not found"}).encode())
    )
    source = SourceFactory(pledge=pledge, url=STORY)
    Source.objects.filter(pk=source.pk).update(archive_attempts=archiving.MAX_ATTEMPTS - 1)

    assert archiving.archive_once(source.pk).result == "gave-up"
    source = fresh(source)
    assert source.archive_due_at is None
    assert source.archive_error == "The archive could not capture the page: Not found"

    assert archiving.request_now(Source.objects.filter(pk=source.pk)) == [source.pk]
    assert fresh(source).archive_attempts == 0
    assert archiving.archive_once(source.pk).result == "failed"


def test_a_429_is_waited_out_as_its_retry_after_says(archive, pledge, clock):
    archive.route("/save", page(429, b"slow down", {"Retry-After": "120"}))
    source = SourceFactory(pledge=pledge, url=STORY)

    outcome = archiving.archive_once(source.pk)

    assert (outcome.result, outcome.retry_in) == ("rate-limited", 120)
    source = fresh(source)
    assert source.archive_due_at == START + dt.timedelta(seconds=120)
    assert source.archive_attempts == 0  # being asked to wait is not a failure
    clock.shift(dt.timedelta(seconds=119))
    assert archiving.archive_due_sources() == {}
    assert len(archive.seen) == 1
    clock.shift(dt.timedelta(seconds=2))
    assert archiving.archive_due_sources() == {"rate-limited": 1}
    assert len(archive.seen) == 2


def test_a_copy_typed_by_staff_is_kept_as_is(archive, pledge, clock):
    typed = "https://archive.ph/AbCdE"
    source = SourceFactory(pledge=pledge, url=STORY, archive_url=typed)

    assert archiving.archive_once(source.pk).result == "not-due"
    assert archiving.request_now(Source.objects.filter(pk=source.pk)) == []
    assert fresh(source).archive_url == typed
    assert archive.seen == []


def test_staff_typing_a_copy_while_the_archive_works_wins(archive, pledge, clock):
    source = SourceFactory(pledge=pledge, url=STORY)
    archiving.archive_once(source.pk)  # capture under way
    source = fresh(source)
    source.archive_url = "https://archive.ph/typed"
    source.save()

    clock.shift(dt.timedelta(minutes=1))
    archiving.archive_once(source.pk)

    assert fresh(source).archive_url == "https://archive.ph/typed"


def test_the_archive_service_is_off_unless_configured(pledge, settings):
    settings.TRACKER_ARCHIVE_URL = ""
    source = SourceFactory(pledge=pledge)

    assert archiving.archive_once(source.pk).result == "off"
    assert archiving.archive_due_sources() == {}


def test_the_archive_is_refused_an_internal_address_too(settings, pledge):
    settings.TRACKER_FETCH_ALLOWED_HOSTS = []
    settings.TRACKER_ARCHIVE_URL = "http://169.254.169.254/save"
    source = SourceFactory(pledge=pledge)

    assert archiving.archive_once(source.pk).result == "failed"
    assert "169.254.169.254 is a link-local address" in fresh(source).archive_error


def test_the_task_retries_through_celery_with_the_wait_chosen(archive, pledge, clock, monkeypatch):
    archive.route("/save", page(429, b"", {"Retry-After": "90"}))
    source = SourceFactory(pledge=pledge, url=STORY)
    retries = []

    def retry(**kwargs):
        retries.append(kwargs["countdown"])
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.archive_source, "retry", retry)
    with pytest.raises(RuntimeError):
        tasks.archive_source(source.pk)

    assert retries == [90]


def test_a_wait_of_an_hour_is_left_to_the_minute_sweep_not_to_the_broker(
    archive, pledge, clock, monkeypatch
):
    # A countdown past the broker's visibility timeout would be delivered every hour.
    save = archive.httpd.routes["/save"]
    archive.route("/save", page(429, b"", {"Retry-After": "3600"}))
    source = SourceFactory(pledge=pledge, url=STORY)
    monkeypatch.setattr(tasks.archive_source, "retry", pytest.fail)

    assert tasks.archive_source(source.pk) == "rate-limited"
    assert fresh(source).archive_due_at == START + dt.timedelta(hours=1)
    archive.route("/save", save)
    clock.shift(dt.timedelta(hours=1))
    assert archiving.archive_due_sources() == {"capturing": 1}


def test_a_source_that_finds_the_minute_spent_tries_again_in_a_minute(
    archive, pledge, clock, settings
):
    settings.TRACKER_LINKCHECK_PER_HOST_PER_MINUTE = 1
    first, second = (SourceFactory(pledge=pledge, url=f"{STORY}-{n}") for n in range(2))
    assert archiving.archive_once(first.pk).result == "capturing"

    clock.shift(dt.timedelta(seconds=20))
    # Every source waiting for the budget comes back in a minute, not all of them at the
    # moment one place frees.
    assert archiving.archive_once(second.pk) == archiving.Outcome("busy", retry_in=60)
    assert fresh(second).archive_due_at == START + dt.timedelta(seconds=80)


def test_the_sweep_archives_sources_whose_task_was_lost(archive, pledge, clock):
    sources = [SourceFactory(pledge=pledge, url=f"{STORY}-{n}") for n in range(3)]

    assert archiving.archive_due_sources() == {"capturing": 3}
    clock.shift(dt.timedelta(seconds=30))
    assert archiving.archive_due_sources() == {"archived": 3}
    assert all(fresh(source).archive_url for source in sources)


def test_after_a_429_no_source_is_sent_to_the_archive_before_its_retry_after(
    archive, pledge, clock
):
    save = archive.httpd.routes["/save"]
    archive.route("/save", page(429, b"slow down", {"Retry-After": "300"}))
    first = SourceFactory(pledge=pledge, url=STORY)
    archiving.archive_once(first.pk)
    archive.route("/save", save)  # the archive would take it now, if asked
    second = SourceFactory(pledge=pledge, url=f"{STORY}-2")

    busy = archiving.archive_once(second.pk)
    # Due again when the hold ends, not asked every minute until then.
    assert (busy.result, busy.retry_in) == ("busy", 300)
    clock.shift(dt.timedelta(seconds=299))
    assert archiving.archive_due_sources() == {}
    assert len(archive.seen) == 1
    clock.shift(dt.timedelta(seconds=2))
    assert archiving.archive_due_sources() == {"capturing": 2}
    clock.shift(dt.timedelta(seconds=60))
    assert archiving.archive_due_sources() == {"archived": 2}
