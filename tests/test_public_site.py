"""The public pages: what readers see, what they never see, and bad input."""

import datetime as dt
import json
import re
from unittest import mock

import feedparser
import icalendar
import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings

from commitments.domain import workflow
from commitments.models import Page
from tests.factories import CompanyFactory, DisbursementFactory, PledgeFactory, SourceFactory

TODAY = dt.datetime(2021, 7, 1, 12, tzinfo=dt.UTC)


def body(response):
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()


@pytest.fixture
def draft(company):
    draft = PledgeFactory(company=company, title="Secret draft plan", slug="secret-draft")
    SourceFactory(pledge=draft, url="https://news.example.com/secret-draft")
    draft.is_published = False
    draft.save()
    return draft


PUBLIC_URLS = [
    "/",
    "/?q=amazon",
    "/companies/",
    "/companies/amazon/",
    "/pledges/",
    "/pledges/?company=amazon&status=not_yet_rated",
    "/feed/",
    "/companies/amazon/feed/",
    "/deadlines.ics",
    "/companies/amazon/deadlines.ics",
    "/pledges.csv",
    "/pledges.json",
    "/api/v1/pledges/",
    "/api/v1/companies/amazon/",
    "/api/v1/events/",
    "/sitemap-pledges.xml",
]


@time_machine.travel(TODAY)
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_drafts_never_appear_on_any_public_surface(client, pledge, draft, url):
    response = client.get(url)
    assert response.status_code == 200
    text = body(response)
    assert pledge.slug in text or pledge.title in text or "Amazon" in text  # it lists things
    assert "Secret draft" not in text
    assert "secret-draft" not in text


@pytest.mark.parametrize(
    "url",
    [
        "/pledges/secret-draft/",
        "/pledges/secret-draft/feed/",
        "/pledges/secret-draft/deadline.ics",
        "/api/v1/pledges/secret-draft/",
    ],
)
def test_a_drafts_own_addresses_are_404(client, draft, url):
    assert client.get(url).status_code == 404


def test_a_company_with_only_drafts_has_no_public_page(client, draft):
    CompanyFactory(name="Stealth", slug="stealth")
    PledgeFactory(company__slug="stealth", is_published=False)
    assert client.get("/companies/stealth/").status_code == 404
    assert "Stealth" not in client.get("/companies/").content.decode()


@time_machine.travel(TODAY)
def test_the_timeline_groups_events_by_month_and_shows_upcoming_and_overdue(client, company):
    PledgeFactory(company=company, title="Due soon", deadline=dt.date(2021, 7, 20))
    PledgeFactory(company=company, title="Missed it", deadline=dt.date(2021, 6, 1))
    html = client.get("/").content.decode()
    upcoming, overdue = (
        html.index("Deadlines in the next 90 days"),
        html.index("Overdue, not yet rated"),
    )
    assert upcoming < html.index("Due soon") < overdue < html.index("Missed it")
    assert "in 19 days" in html
    assert "overdue 30 days" in html
    assert '<h3 class="month">June 2020</h3>' in html


@time_machine.travel(TODAY)
def test_the_timeline_filters_by_company_status_category_year_and_search(client, company):
    ibm = CompanyFactory(name="IBM", slug="ibm")
    PledgeFactory(company=company, title="Amazon pledge", status="kept", category="donation")
    PledgeFactory(company=ibm, title="IBM pledge", announced_on=dt.date(2019, 3, 1))

    def titles(query):
        html = client.get("/" + query).content.decode()
        return {t for t in ("Amazon pledge", "IBM pledge") if f">{t}</a>" in html}

    assert titles("") == {"Amazon pledge", "IBM pledge"}
    assert titles("?company=ibm") == {"IBM pledge"}
    assert titles("?status=kept") == {"Amazon pledge"}
    assert titles("?category=donation") == {"Amazon pledge"}
    assert titles("?year=2019") == {"IBM pledge"}
    assert titles("?q=ibm") == {"IBM pledge"}


def test_the_filter_form_shows_the_filters_in_force(client, company):
    ibm = CompanyFactory(name="IBM & Partners <Research>", slug="ibm")
    PledgeFactory(company=ibm, status="kept", category="donation", announced_on=dt.date(2019, 3, 1))
    PledgeFactory(company=company, announced_on=dt.date(2020, 6, 10))

    html = client.get("/?company=ibm&status=kept&category=donation&year=2019").content.decode()

    def selected(name):
        select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="([^"]*)" selected>', select)

    assert selected("company") == ["ibm"]
    assert selected("status") == ["kept"]
    assert selected("category") == ["donation"]
    assert selected("year") == ["2019"]
    assert '<option value="2020">2020</option>' in html  # every year with events is offered
    assert ">IBM &amp; Partners &lt;Research&gt;</option>" in html  # names are escaped


def test_the_timeline_pages_with_keyset_cursors(client, company):
    for n in range(60):
        PledgeFactory(
            company=company,
            title=f"P{n:02d}",
            announced_on=dt.date(2020, 1, 1) + dt.timedelta(days=n),
        )
    first = client.get("/").content.decode()
    assert "P59" in first
    assert ">P09<" not in first
    older = first.split('rel="next" href="?')[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/?" + older).content.decode()
    assert ">P09</a>" in second
    assert ">P59</a>" not in second
    newer = second.split('rel="prev" href="?')[1].split('"')[0].replace("&amp;", "&")
    assert ">P59</a>" in client.get("/?" + newer).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?status=sideways&category=nope&year=99999&company=no-such-company",
        "?before=garbage",
        "?after=2021-13-45.x",
        "?page=-1&before=..",
        "?q=" + "x" * 100_000,
        "?company=%00%ff",
        "?year=abc",
    ],
)
def test_bad_input_gives_a_normal_page(client, pledge, query):
    response = client.get("/" + query)
    assert response.status_code == 200
    assert "<h1>Pledge timeline</h1>" in response.content.decode()


def test_an_over_long_search_is_cut_and_says_so(client, pledge):
    html = client.get("/?q=" + "a" * 5000).content.decode()
    assert "shortened to its first 100 characters" in html
    assert 'value="' + "a" * 100 + '"' in html


def test_unknown_filters_are_reported_not_fatal(client, pledge):
    html = client.get("/?status=sideways&company=nobody").content.decode()
    assert "Ignored the status filter" in html
    assert "No company with that name is tracked." in html


@pytest.mark.parametrize(
    "url", ["/pledges/nope/", "/companies/nope/", "/about/nope/", "/pledges/nope/feed/"]
)
def test_unknown_slugs_are_404(client, db, url):
    assert client.get(url).status_code == 404


@override_settings(DEBUG=False)
def test_the_404_page_is_the_sites_own(client, db):
    response = client.get("/pledges/nope/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_the_500_page_needs_no_context_and_no_database(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))  # no db fixture: any query would raise
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@time_machine.travel(TODAY)
def test_the_pledge_page_tells_the_whole_story(client, pledge, superuser):
    source = SourceFactory(
        pledge=pledge, url="https://news.example.com/a", archive_url="https://web.archive.org/a"
    )
    workflow.move_deadline(
        pledge,
        new_deadline=dt.date(2021, 6, 20),
        rationale="First delay.",
        actor=superuser,
        effective_on=dt.date(2021, 5, 1),
    )
    workflow.move_deadline(
        pledge,
        new_deadline=dt.date(2021, 6, 25),
        rationale="Second delay.",
        source=source,
        actor=superuser,
        effective_on=dt.date(2021, 6, 1),
    )
    workflow.record_verdict(
        pledge,
        status="stalled",
        rationale="No sign of progress.",
        sources=[source],
        actor=superuser,
        effective_on=dt.date(2021, 6, 28),
    )
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert "Deadline moved 2 times" in html
    assert "overdue 6 days" in html
    assert "No sign of progress." in html
    assert "Second delay." in html
    assert 'href="https://web.archive.org/a"' in html
    assert 'value="https://tracker.example.org/pledges/amazon-moratorium/" readonly' in html
    assert '<meta property="og:title" content="Amazon: One-year moratorium' in html
    assert 'class="badge badge-stalled">Stalled<' in html  # status as text, not colour alone


def test_the_money_bar_is_a_progress_element_with_the_amounts_in_words(client, company):
    pledge = PledgeFactory(company=company, amount_pledged=10_000_000, currency="USD")
    DisbursementFactory(pledge=pledge, amount=2_500_000)
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert 'max="10000000.00" value="2500000.00" aria-label="Confirmed delivered">25.0%' in html
    assert "<strong>USD 2,500,000</strong> (25.0%)" in html
    assert "<strong>USD 7,500,000</strong> announced, delivery not confirmed" in html


def test_no_public_page_has_inline_scripts_or_styles(client, pledge):
    PledgeFactory(company=pledge.company, amount_pledged=100, currency="USD")
    for url in [
        "/",
        "/companies/",
        "/companies/amazon/",
        pledge.get_absolute_url(),
        "/methodology/",
    ]:
        html = client.get(url).content.decode()
        # Data blocks (JSON-LD) are never run, and scripts come from our own files.
        html = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", html)
        html = re.sub(r'<script src="/static/[\w/.-]+" defer></script>', "", html)
        assert not re.search(r"<script|<style|\sstyle=", html), url


@time_machine.travel(TODAY)
def test_the_company_page_has_a_scorecard_and_a_deadline_chart(client, company, superuser):
    kept = PledgeFactory(company=company, title="Kept one")
    source = SourceFactory(pledge=kept)
    workflow.record_verdict(
        kept, status="kept", rationale="Done.", sources=[source], actor=superuser
    )
    PledgeFactory(company=company, title="Late one", deadline=dt.date(2021, 6, 1))
    PledgeFactory(company=company, title="Draft", is_published=False)
    html = client.get("/companies/amazon/").content.decode()
    assert "<strong>2</strong> published pledges" in html
    assert "<strong>100%</strong> kept among the 1 with a final verdict" in html
    assert "<strong>1</strong> overdue" in html
    assert html.count('<ol class="chart-rows">') == 1
    assert 'class="bar-kept' in html


def test_the_company_page_lists_its_pledges_25_a_page_with_the_scorecard_of_all(client, company):
    for i in range(30):
        PledgeFactory(
            company=company,
            title=f"Pledge number {i:02d}",
            announced_on=dt.date(2020, 1, 1) + dt.timedelta(days=i // 2),
        )
    html = client.get("/companies/amazon/").content.decode()
    assert "<strong>30</strong> published pledges" in html
    assert html.count('class="pledge-card"') == 25
    assert "Pledge number 29" in html.split('id="pledges"')[1]
    assert "Pledge number 04" not in html.split('id="pledges"')[1]
    assert "5 more pledges not drawn" in html
    older = re.search(r'href="\?after=([^"#]+)#pledges"', html).group(1)
    html = client.get(f"/companies/amazon/?after={older}").content.decode()
    listed = re.findall(r"Pledge number (\d\d)</a></h3>", html)
    assert listed == ["04", "03", "02", "01", "00"]
    assert "Back to the newest" in html


def test_the_methodology_page_is_editable_by_staff_and_documents_the_fields(client, db):
    html = client.get("/methodology/").content.decode()
    assert "<code>deadline_moves</code>" in html
    assert "Partially kept" in html
    # Reads as a sentence: no code element opened inside another (a garbled edit once did).
    assert "A money pledge's JSON record (<code>/api/v1/pledges/&lt;slug&gt;/</code>)" in html
    assert not re.search(r"<code>[^<]*<code>", html)
    Page.objects.create(slug="methodology", title="How we work", body="We **read** everything.")
    html = client.get("/methodology/").content.decode()
    assert "<h1>How we work</h1>" in html
    assert "<strong>read</strong>" in html
    assert "<code>deadline_moves</code>" in html


# --- Conditional GET and the page cache --------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/pledges/amazon-moratorium/", "/feed/", "/api/v1/pledges/", "/pledges.csv"]
)
def test_a_repeat_with_the_etag_is_a_304_after_reading_only_the_content_version(
    client, pledge, url, django_assert_num_queries
):
    first = client.get(url)
    assert first["ETag"]
    assert first["Last-Modified"]
    with django_assert_num_queries(1):
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    since = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304


def test_a_cached_page_is_served_after_reading_only_the_content_version(
    client, pledge, django_assert_num_queries
):
    first = client.get("/")
    with django_assert_num_queries(1):
        second = client.get("/")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_a_staff_edit_in_the_admin_shows_at_once(client, pledge, superuser):
    etag = client.get("/companies/amazon/")["ETag"]
    assert "Amazon.com, Inc." not in client.get("/").content.decode()
    staff = type(client)()
    staff.force_login(superuser)
    response = staff.post(
        f"/admin/commitments/company/{pledge.company.pk}/change/",
        {
            "name": "Amazon.com, Inc.",
            "slug": "amazon",
            "website": "",
            "description": "",
            # The read-only pledges inline still posts its (empty) management form.
            "pledges-TOTAL_FORMS": "0",
            "pledges-INITIAL_FORMS": "0",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302  # saved
    assert "Amazon.com, Inc." in client.get("/").content.decode()
    response = client.get("/companies/amazon/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "<h1>Amazon.com, Inc.</h1>" in response.content.decode()


def test_a_verdict_and_a_new_source_show_at_once(client, pledge, superuser):
    client.get(pledge.get_absolute_url())
    source = SourceFactory(pledge=pledge, title="Fresh evidence")
    assert "Fresh evidence" in client.get(pledge.get_absolute_url()).content.decode()
    workflow.record_verdict(
        pledge, status="broken", rationale="Evidence.", sources=[source], actor=superuser
    )
    assert "Rated “Broken”" in client.get("/").content.decode()


def test_the_day_changing_makes_new_etags(client, pledge):
    with time_machine.travel(dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC)):
        monday = client.get("/")["ETag"]
    with time_machine.travel(dt.datetime(2021, 6, 2, 12, tzinfo=dt.UTC)):
        assert client.get("/")["ETag"] != monday


def test_pages_still_render_when_the_cache_is_down(client, pledge):
    broken = mock.patch.multiple(
        cache,
        get=mock.Mock(side_effect=ConnectionError),
        add=mock.Mock(side_effect=ConnectionError),
        set=mock.Mock(side_effect=ConnectionError),
    )
    with broken:
        response = client.get("/")
        pledge.title = "Edited while the cache is down"
        pledge.save()
        assert response.status_code == 200
        assert "Edited while the cache is down" in client.get("/").content.decode()
    json.loads(client.get("/api/v1/pledges/").content)
    feedparser.parse(client.get("/feed/").content)
    icalendar.Calendar.from_ical(client.get("/deadlines.ics").content)


def test_a_page_cached_for_one_allowed_host_is_not_served_to_another(client, pledge, settings):
    settings.ALLOWED_HOSTS = ["tracker.example.org", "www.tracker.example.org"]
    www = client.get("/sitemap.xml", HTTP_HOST="www.tracker.example.org")
    plain = client.get("/sitemap.xml", HTTP_HOST="tracker.example.org")
    assert "//www.tracker.example.org/" in www.content.decode()
    assert "//www.tracker.example.org/" not in plain.content.decode()
    assert www["ETag"] != plain["ETag"]
