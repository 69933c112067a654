"""Feeds, calendars, exports and the JSON API, each read back with a real parser."""

import csv
import datetime as dt
import io
import json

import feedparser
import icalendar
import pytest
import time_machine

from commitments.domain import workflow
from tests.factories import CompanyFactory, PledgeFactory, SourceFactory


@pytest.fixture
def rated(pledge, superuser):
    """The Amazon pledge, postponed once and then rated broken with a source."""
    source = SourceFactory(pledge=pledge, url="https://news.example.com/broken")
    workflow.move_deadline(
        pledge,
        new_deadline=dt.date(2021, 9, 1),
        rationale="Amazon extended the moratorium.",
        effective_on=dt.date(2021, 5, 1),
        actor=superuser,
    )
    workflow.record_verdict(
        pledge,
        status="broken",
        rationale="Police kept using it.",
        sources=[source],
        effective_on=dt.date(2021, 10, 1),
        actor=superuser,
    )
    return pledge


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_site_feed_is_atom_with_absolute_links_newest_first(client, rated):
    feed = feedparser.parse(client.get("/feed/").content)
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == f"Amazon: Rated “Broken” — {rated.title}"
    assert titles[1].startswith("Amazon: Deadline extended from 10 June 2021 to 1 September 2021")
    assert (
        feed.entries[0].link
        == f"https://tracker.example.org{rated.get_absolute_url()}#event-"
        + feed.entries[0].id.rsplit("/", 1)[1]
    )
    assert feed.entries[0].summary == "Police kept using it."
    assert feed.feed.links[0].href.startswith("https://tracker.example.org/")


def test_company_and_pledge_feeds_only_carry_their_own_events(client, rated):
    other = PledgeFactory(title="Someone else's pledge")
    company_feed = feedparser.parse(client.get("/companies/amazon/feed/").content)
    pledge_feed = feedparser.parse(client.get(f"{rated.get_absolute_url()}feed/").content)
    assert len(company_feed.entries) == len(pledge_feed.entries) == 3
    assert all(other.title not in e.title for e in company_feed.entries + pledge_feed.entries)


@time_machine.travel(dt.datetime(2022, 1, 1, 12, tzinfo=dt.UTC))
def test_the_deadline_calendar_has_all_day_events_with_stable_uids(client, rated):
    cal = icalendar.Calendar.from_ical(client.get("/deadlines.ics").content)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == dt.date(2021, 9, 1)
    assert event.decoded("dtend") == dt.date(2021, 9, 2)
    assert str(event["url"]) == f"https://tracker.example.org{rated.get_absolute_url()}"
    assert str(event["uid"]) == f"pledge-{rated.pk}-deadline@tracker.example.org"
    for url in ("/companies/amazon/deadlines.ics", f"{rated.get_absolute_url()}deadline.ics"):
        (same,) = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
        assert str(same["uid"]) == str(event["uid"])


@time_machine.travel(dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC))
def test_the_site_calendar_skips_deadlines_more_than_a_year_old(client, company):
    PledgeFactory(company=company, title="Long ago", deadline=dt.date(2021, 1, 1))
    PledgeFactory(company=company, title="Soon", deadline=dt.date(2024, 2, 1))
    events = icalendar.Calendar.from_ical(client.get("/deadlines.ics").content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Deadline: Amazon — Soon"]
    per_company = client.get("/companies/amazon/deadlines.ics").content
    assert len(icalendar.Calendar.from_ical(per_company).walk("VEVENT")) == 2


def test_calendar_text_survives_escaping_and_folding_whatever_it_holds(client, company):
    """The calendars are written by hand (commitments/public/ics.py): punctuation, line
    breaks, backslashes and multi-byte characters read back exactly, and no line is
    longer than RFC 5545's 75 octets, a character's bytes never split across two."""
    criteria = "Zurück; „the ban“, 100 %\\ — done.\nSecond line, " + "🎯é" * 60
    PledgeFactory(company=company, title="Stop, then; start\\again", success_criteria=criteria)
    raw = client.get("/companies/amazon/deadlines.ics").content
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode()  # each line is whole UTF-8 on its own: this raises if not
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["summary"]) == "Deadline: Amazon — Stop, then; start\\again"
    assert f"What would count as kept: {criteria}\n" in str(event["description"])


def test_the_csv_export_applies_filters_and_neutralises_formulas(client, rated):
    PledgeFactory(title='=HYPERLINK("http://evil")', status="kept")
    response = client.get("/pledges.csv?status=broken")
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [(r["slug"], r["status"], r["deadline"], r["deadline_moves"]) for r in rows] == [
        ("amazon-moratorium", "broken", "2021-09-01", "1")
    ]
    kept = list(csv.DictReader(io.StringIO(body(client.get("/pledges.csv?status=kept")).decode())))
    assert kept[0]["title"] == '\'=HYPERLINK("http://evil")'


def test_the_json_export_lists_published_pledges_with_stable_fields(client, rated):
    data = json.loads(body(client.get("/pledges.json")))
    (record,) = data["pledges"]
    assert record["url"] == "https://tracker.example.org/pledges/amazon-moratorium/"
    assert (record["company_slug"], record["status"], record["deadline_moves"]) == (
        "amazon",
        "broken",
        1,
    )


def test_the_api_pages_pledges_by_keyset_until_next_is_null(client, company):
    pledges = PledgeFactory.create_batch(5, company=company)
    seen, url = [], "/api/v1/pledges/?limit=2"
    while url:
        data = client.get(url.removeprefix("https://tracker.example.org")).json()
        seen += [record["slug"] for record in data["data"]]
        url = data["next"]
    assert seen == [p.slug for p in pledges]


def test_the_api_shows_a_pledge_with_history_and_sources(client, rated):
    data = client.get("/api/v1/pledges/amazon-moratorium/").json()
    assert [e["kind"] for e in data["events"]] == [
        "status_changed",
        "deadline_changed",
        "announced",
    ]
    assert data["events"][0]["source_urls"] == ["https://news.example.com/broken"]
    assert data["sources"][0]["url"] == "https://news.example.com/broken"


def test_the_api_events_follow_the_timeline_cursor(client, rated):
    first = client.get("/api/v1/events/?limit=2").json()
    assert [e["kind"] for e in first["data"]] == ["status_changed", "deadline_changed"]
    rest = client.get(first["next"].removeprefix("https://tracker.example.org")).json()
    assert [e["kind"] for e in rest["data"]] == ["announced"]
    assert rest["next"] is None


def test_the_api_reads_an_after_beyond_any_id_as_the_end_of_the_list(client, pledge):
    # 5,000 digits: more than int() will even parse (a crash the fuzzer found).
    for huge in ("9" * 20, "9" * 5000):
        assert client.get(f"/api/v1/companies/?after={huge}").json() == {"data": [], "next": None}
        assert client.get(f"/api/v1/pledges/?after={huge}").json() == {"data": [], "next": None}


def test_the_api_answers_bad_parameters_with_a_400_and_unknown_slugs_with_a_404(client, pledge):
    assert client.get("/api/v1/pledges/?after=abc").status_code == 400
    assert client.get("/api/v1/events/?before=yesterday").status_code == 400
    assert client.get("/api/v1/pledges/?limit=many").status_code == 400
    assert client.get("/api/v1/pledges/nope/").json() == {
        "error": "No published pledge has that slug."
    }
    assert client.get("/api/v1/companies/nope/").status_code == 404


def test_the_api_company_lists_its_published_pledges(client, pledge):
    PledgeFactory(company=pledge.company, is_published=False, slug="hidden")
    data = client.get("/api/v1/companies/amazon/").json()
    assert data["pledges"] == ["https://tracker.example.org/api/v1/pledges/amazon-moratorium/"]
    assert client.get("/api/v1/companies/").json()["data"][0]["slug"] == "amazon"


def test_the_sitemap_lists_pledges_companies_and_pages_under_site_url(client, pledge):
    CompanyFactory(name="Empty Inc")
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-pledges.xml" in index
    pledges = client.get("/sitemap-pledges.xml").content.decode()
    companies = client.get("/sitemap-companies.xml").content.decode()
    assert "<loc>https://tracker.example.org/pledges/amazon-moratorium/</loc>" in pledges
    assert "<loc>https://tracker.example.org/companies/amazon/</loc>" in companies
    assert "empty-inc" not in companies
