"""Whole-table files: built by a task when content changes, written atomically, served as
files with validators and a gzip variant (commitments/public/exports.py)."""

import csv
import datetime as dt
import fcntl
import gzip
import io
import json
import threading

import icalendar
import pytest
import time_machine

from commitments.public import exports
from commitments.public.tasks import build_exports
from tests.factories import CompanyFactory, PledgeFactory

pytestmark = pytest.mark.django_db

URLS = {"pledges.csv": "/pledges.csv", "pledges.json": "/pledges.json"}
URLS["deadlines.ics"] = "/deadlines.ics"


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def slugs_in_csv(client, url="/pledges.csv"):
    return [row["slug"] for row in csv.DictReader(io.StringIO(body(client.get(url)).decode()))]


def test_the_build_writes_each_file_and_its_gzip_variant(pledge):
    report = exports.build_all()
    assert report["built"] is True
    directory = exports.export_dir()
    for name in exports.FILES:
        plain = (directory / name).read_bytes()
        assert gzip.decompress((directory / f"{name}.gz").read_bytes()) == plain
    assert json.loads((directory / "pledges.json").read_bytes())["pledges"][0]["slug"] == (
        pledge.slug
    )
    # Only the files: no temporary file is left behind.
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == [".build.lock"]


@pytest.mark.parametrize("name", list(URLS))
def test_a_whole_table_file_is_served_with_validators_cors_and_disposition(client, pledge, name):
    exports.build_all()
    response = client.get(URLS[name])
    assert response.status_code == 200
    assert body(response) == (exports.export_dir() / name).read_bytes()
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"] == "public, no-cache"
    assert response["Vary"] == "Accept-Encoding"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert f'filename="{name}"' in response["Content-Disposition"]
    assert "Content-Encoding" not in response

    again = client.get(URLS[name], HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == response["ETag"]
    since = client.get(URLS[name], HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert since.status_code == 304


@pytest.mark.parametrize("name", list(URLS))
def test_a_client_that_accepts_gzip_gets_the_gzip_variant(client, pledge, name):
    exports.build_all()
    plain = client.get(URLS[name])
    packed = client.get(URLS[name], HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert packed["Content-Type"] == plain["Content-Type"]
    assert gzip.decompress(body(packed)) == body(plain)
    # Another representation, another validator.
    assert packed["ETag"] != plain["ETag"]
    assert client.get(URLS[name], HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304


def test_the_task_builds_only_when_content_changed(pledge):
    assert build_exports()["built"] is True
    assert build_exports() == {"built": False, "reason": "unchanged"}
    PledgeFactory(company=pledge.company, slug="later", title="A later pledge")
    assert build_exports()["built"] is True


def test_a_change_anywhere_shows_in_the_files_after_the_next_build(client, pledge):
    exports.build_all()
    pledge.company.name = "Amazon.com, Inc."
    pledge.company.save()
    # Until the next build the previous complete file answers…
    assert "Amazon.com, Inc." not in body(client.get("/pledges.csv")).decode()
    exports.build_all()
    # …after it, the change is there (a company edit: not a pledge row).
    assert "Amazon.com, Inc." in body(client.get("/pledges.csv")).decode()


def test_a_new_day_rebuilds_though_nothing_was_edited(pledge):
    # "is_overdue" and the calendar's window change at midnight.
    with time_machine.travel(dt.datetime(2030, 1, 1, 20, tzinfo=dt.UTC)):
        assert exports.build_all()["built"] is True
        assert exports.build_all()["built"] is False
    with time_machine.travel(dt.datetime(2030, 1, 2, 20, tzinfo=dt.UTC)):
        assert exports.build_all()["built"] is True


def test_filtered_downloads_are_built_per_request_not_from_the_file(client, pledge):
    exports.build_all()
    PledgeFactory(company=pledge.company, slug="kept-one", status="kept")
    assert slugs_in_csv(client, "/pledges.csv?status=kept") == ["kept-one"]
    assert "kept-one" not in slugs_in_csv(client)  # the whole table waits for the build


def test_before_the_first_build_the_views_answer_from_the_database(client, pledge):
    assert not exports.export_dir().exists()
    assert slugs_in_csv(client) == [pledge.slug]
    assert json.loads(body(client.get("/pledges.json")))["pledges"][0]["slug"] == pledge.slug


def test_a_second_build_skips_while_one_holds_the_lock(pledge):
    directory = exports.export_dir()
    directory.mkdir(parents=True)
    with open(directory / exports.LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert exports.build_all() == {"built": False, "reason": "another build is running"}
    assert exports.build_all()["built"] is True


def test_a_build_that_fails_half_way_leaves_the_previous_file_and_no_debris(pledge, tmp_path):
    directory = tmp_path / "files"
    directory.mkdir()
    exports.write_file(directory, "pledges.json", ['{"pledges": []}'])

    def broken():
        yield '{"pledges": ['
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        exports.write_file(directory, "pledges.json", broken())
    assert json.loads((directory / "pledges.json").read_text()) == {"pledges": []}
    assert sorted(p.name for p in directory.iterdir()) == ["pledges.json", "pledges.json.gz"]


def test_a_reader_during_builds_always_gets_a_complete_file(tmp_path):
    directory = tmp_path / "files"
    directory.mkdir()
    exports.write_file(directory, "pledges.json", ['{"pledges": []}'])
    stop = threading.Event()

    def keep_building():
        n = 0
        while not stop.is_set():
            n += 1
            records = (json.dumps({"id": i, "title": "x" * 500}) for i in range(n % 50 * 40))
            chunks = ['{"pledges": [', ",".join(records), "]}"]
            exports.write_file(directory, "pledges.json", chunks)

    builder = threading.Thread(target=keep_building)
    builder.start()
    try:
        reads = [json.loads((directory / "pledges.json").read_bytes()) for _ in range(300)]
        packed = [gzip.decompress((directory / "pledges.json.gz").read_bytes()) for _ in range(50)]
    finally:
        stop.set()
        builder.join()
    assert all("pledges" in read for read in reads)
    assert all(json.loads(data)["pledges"] is not None for data in packed)


def test_an_open_download_keeps_its_file_when_a_build_replaces_it(client, pledge):
    exports.build_all()
    before = (exports.export_dir() / "pledges.csv").read_bytes()
    response = client.get("/pledges.csv")  # opened, not yet read
    PledgeFactory(company=pledge.company, slug="meanwhile")
    exports.build_all()
    assert body(response) == before
    assert "meanwhile" in slugs_in_csv(client)


@time_machine.travel(dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC))
def test_the_site_calendar_keeps_the_nearest_deadlines_up_to_its_cap(client, company, monkeypatch):
    monkeypatch.setattr(exports, "CALENDAR_MAX_EVENTS", 3)
    for title, deadline in [
        ("Too old", dt.date(2022, 12, 1)),
        ("Older", dt.date(2023, 6, 1)),
        ("Recent", dt.date(2023, 12, 1)),
        ("Soon", dt.date(2024, 2, 1)),
        ("Later", dt.date(2025, 1, 1)),
        ("Too far", dt.date(2026, 6, 1)),
    ]:
        PledgeFactory(company=CompanyFactory(name=title), title=title, deadline=deadline)

    def summaries():
        events = icalendar.Calendar.from_ical(body(client.get("/deadlines.ics"))).walk("VEVENT")
        return [str(event["summary"]).split(" — ")[1] for event in events]

    # Upcoming first (within two years), then the most recent past ones; in date order.
    assert summaries() == ["Recent", "Soon", "Later"]
    exports.build_all()
    assert summaries() == ["Recent", "Soon", "Later"]
