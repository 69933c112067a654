"""The answer first: the meter, the pledge list, the verdict up front, company records."""

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
import time_machine

from commitments.domain import workflow
from tests.factories import CompanyFactory, PledgeFactory, SourceFactory

TODAY = dt.datetime(2021, 7, 1, 12, tzinfo=dt.UTC)
CSS = Path(__file__).resolve().parents[1] / "static" / "commitments" / "site.css"


def rate(pledge, status, rationale, actor):
    source = SourceFactory(pledge=pledge)
    workflow.record_verdict(
        pledge, status=status, rationale=rationale, sources=[source], actor=actor
    )


def titles(html):
    return re.findall(r'<h2 class="pledge-card-title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def story(company, superuser):
    """Amazon: one kept, one broken, one stalled, one overdue unrated; Meta: one kept."""
    with time_machine.travel(TODAY):
        rate(PledgeFactory(company=company, title="Kept one"), "kept", "Done. Really.", superuser)
        rate(
            PledgeFactory(company=company, title="Broken one", deadline=dt.date(2021, 1, 1)),
            "broken",
            "Abandoned.",
            superuser,
        )
        rate(
            PledgeFactory(company=company, title="Stalled one", deadline=dt.date(2021, 9, 1)),
            "stalled",
            "Quiet since March.",
            superuser,
        )
        PledgeFactory(company=company, title="Late one", deadline=dt.date(2021, 6, 1))
        PledgeFactory(company=company, title="Open-ended", deadline=None)
        meta = CompanyFactory(name="Meta", slug="meta")
        rate(PledgeFactory(company=meta, title="Meta kept"), "kept", "Done.", superuser)
        PledgeFactory(company=company, title="Secret draft", is_published=False)


def meter_counts(html):
    """{badge text: count} of the meter, read from its links."""
    found = re.findall(
        r'<a class="meter-link" href="([^"]+)"><span class="meter-count">(\d+)</span> '
        r'<span class="badge badge-\w+">([^<]+)</span>',
        html,
    )
    return {label: (int(count), href.replace("&amp;", "&")) for href, count, label in found}


@time_machine.travel(TODAY)
def test_the_home_meter_counts_published_pledges_and_links_to_each_group(client, story):
    counts = meter_counts(client.get("/").content.decode())
    assert {label: count for label, (count, _) in counts.items()} == {
        "Kept": 2,
        "Partially kept": 0,
        "Broken": 1,
        "Stalled": 1,
        "In progress": 0,
        "Not yet rated": 2,
        "Overdue": 1,
    }
    assert counts["Kept"][1] == "/pledges/?status=kept"
    assert counts["Overdue"][1] == "/pledges/?deadline=overdue"
    listed = titles(client.get(counts["Overdue"][1]).content.decode())
    assert listed == ["Late one"]


@time_machine.travel(TODAY)
def test_the_company_meter_counts_only_that_company_and_links_within_it(client, story):
    counts = meter_counts(client.get("/companies/amazon/").content.decode())
    assert counts["Kept"] == (1, "/pledges/?company=amazon&status=kept")
    html = client.get(counts["Kept"][1]).content.decode()
    assert titles(html) == ["Kept one"]


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=stalled", ["Stalled one"]),
        ("company=meta", ["Meta kept"]),
        ("deadline=overdue", ["Late one"]),
        ("deadline=upcoming", ["Stalled one"]),
        ("deadline=none", ["Open-ended"]),
        ("company=amazon&status=kept", ["Kept one"]),
        ("q=broken", ["Broken one"]),
    ],
)
def test_the_pledge_list_filters_by_status_company_and_deadline(client, story, query, expected):
    assert titles(client.get(f"/pledges/?{query}").content.decode()) == expected


@time_machine.travel(TODAY)
def test_the_pledge_list_sorts(client, story):
    by_title = titles(client.get("/pledges/?sort=title").content.decode())
    assert by_title == sorted(by_title)
    assert len(by_title) == 6  # the draft is not among them
    by_deadline = titles(client.get("/pledges/?sort=deadline").content.decode())
    assert by_deadline[:2] == ["Broken one", "Late one"]
    assert by_deadline[-1] == "Open-ended"  # no end date comes last
    by_company = titles(client.get("/pledges/?sort=company").content.decode())
    assert by_company[-1] == "Meta kept"


@time_machine.travel(TODAY)
def test_the_pledge_list_pages_and_a_bad_page_shows_the_nearest(client, company, monkeypatch):
    from commitments.public.views.pledges import PledgeListView

    monkeypatch.setattr(PledgeListView, "paginate_by", 2)
    for n in range(5):
        PledgeFactory(company=company, title=f"P{n}", announced_on=dt.date(2020, 1, 1 + n))
    html = client.get("/pledges/?sort=title").content.decode()
    assert titles(html) == ["P0", "P1"]
    assert "Page 1 of 3" in html
    assert 'href="?sort=title&amp;page=2"' in html
    assert titles(client.get("/pledges/?sort=title&page=3").content.decode()) == ["P4"]
    assert titles(client.get("/pledges/?sort=title&page=99").content.decode()) == ["P4"]
    assert titles(client.get("/pledges/?sort=title&page=abc").content.decode()) == ["P0", "P1"]


@time_machine.travel(TODAY)
def test_bad_filters_on_the_pledge_list_are_reported_not_fatal(client, story):
    response = client.get("/pledges/?deadline=soon&sort=%3Cscript%3E&status=nope")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ignored the deadline filter" in html
    assert "Ignored the sort order" in html
    assert "<script>" not in html
    assert len(titles(html)) == 6


@time_machine.travel(TODAY)
def test_the_pledge_page_gives_the_verdict_before_the_history(client, company, superuser):
    with time_machine.travel(TODAY - dt.timedelta(days=30)):
        pledge = PledgeFactory(company=company)
    rate(pledge, "in_progress", "Work has begun. Details follow at length.", superuser)
    rate(pledge, "stalled", "Nothing since March. The company declined to comment.", superuser)
    html = client.get(pledge.get_absolute_url()).content.decode()
    verdict = html[html.index('<section class="verdict"') : html.index("</section>")]
    assert 'badge-stalled">Stalled</span>' in verdict
    assert "Nothing since March." in verdict
    assert "declined to comment" not in verdict  # one sentence up front, the rest below
    assert 'Last updated <time datetime="2021-07-01">1 July 2021</time>' in verdict
    assert html.index('<section class="verdict"') < html.index("<h2>History</h2>")
    assert "Work has begun" not in verdict


@time_machine.travel(TODAY)
def test_an_unrated_pledge_says_no_one_has_ruled_yet(client, pledge):
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert "No reviewer has ruled on this pledge yet, though its deadline has passed." in html


@time_machine.travel(TODAY)
def test_the_companies_index_shows_each_record(client, story):
    html = client.get("/companies/").content.decode()
    amazon = html[html.index(">Amazon</a>") : html.index(">Meta</a>")]
    assert "5 pledges" in amazon  # the draft is not counted
    assert '<span class="badge badge-kept">1 kept</span>' in amazon
    assert '<span class="badge badge-broken">1 broken</span>' in amazon
    assert '<span class="badge badge-open">3 open</span>' in amazon
    assert 'href="/pledges/?company=amazon"' in amazon


@time_machine.travel(TODAY)
@pytest.mark.parametrize("url", ["/", "/pledges/", "/companies/amazon/", "/pledges/kept/"])
def test_no_public_page_repeats_an_element_id(client, story, url):
    if url == "/pledges/kept/":
        url = client.get("/pledges/?status=kept&company=amazon").content.decode()
        url = re.search(r'<h2 class="pledge-card-title"><a href="([^"]+)"', url).group(1)
    html = client.get(url).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [name for name, n in ids.items() if n > 1] == [], url


def test_stalled_and_partially_kept_differ_in_shape_not_only_colour():
    css = CSS.read_text()

    def rule(selector):
        return re.search(re.escape(selector) + r" \{([^}]*)\}", css).group(1)

    assert rule(".badge-stalled::before") != rule(".badge-partially_kept::before")
    assert "border-style: dashed" in rule(".badge-stalled")
    assert "border-style: double" in rule(".badge-partially_kept")


@time_machine.travel(TODAY)
def test_the_downloads_and_the_api_hold_the_pledges_the_list_shows(client, story):
    html = client.get("/pledges/?deadline=overdue&sort=title").content.decode()
    csv_link = re.search(r'<a href="(/pledges\.csv[^"]*)">CSV</a>', html).group(1)
    csv_text = b"".join(client.get(csv_link.replace("&amp;", "&")).streaming_content).decode()
    assert [line.split(",")[0] != "id" for line in csv_text.splitlines()].count(True) == 1
    assert "Late one" in csv_text
    api = client.get("/api/v1/pledges/?deadline=overdue").json()
    assert [row["title"] for row in api["data"]] == ["Late one"]
