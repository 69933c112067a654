"""A reader's path through the public site in a real browser, plus axe-core and screenshots."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from commitments.domain import reminders
from commitments.models import Company, Pledge, Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
KUOW = "https://www.kuow.org/stories/amazon-halts-police-use-of-its-facial-recognition-technology"
MORATORIUM = "amazon-rekognition-police-moratorium"
DONATION = "amazon-10-million-racial-justice-donation"


@pytest.fixture
def demo():
    call_command("load_demo")
    source = Source.objects.get(pledge__slug=MORATORIUM, url=KUOW)
    source.archive_url = "https://web.archive.org/web/2020/" + KUOW
    source.save()


@pytest.fixture
def upgraded_demo():
    """A database from the first demo, after its sweep wrote "deadline passed", then updated."""
    amazon = Company.objects.create(slug="amazon", name="Amazon")
    Pledge.objects.create(
        company=amazon,
        slug=MORATORIUM,
        title="One-year moratorium on police use of Rekognition facial recognition",
        success_criteria="No police use for a year.",
        announced_on=dt.date(2020, 6, 10),
        deadline=dt.date(2021, 6, 10),
        is_published=True,
    )
    with time_machine.travel(dt.datetime(2021, 6, 12, tzinfo=dt.UTC)):
        reminders.sweep_pledges(dt.datetime.now(dt.UTC))
    call_command("load_demo")


def test_a_reader_finds_the_moratorium_extended_not_overdue(page, demo):
    page.goto("/")
    assert page.locator(".blocks").get_by_text("Nothing is overdue.").is_visible()
    page.get_by_label("Company").select_option(label="Amazon")
    page.get_by_label("Category").select_option(label="Moratorium")
    page.get_by_role("button", name="Show").click()
    assert "company=amazon" in page.url
    events = page.locator(".event-pledge")
    assert set(events.all_inner_texts()) == {
        "One-year moratorium on police use of Rekognition facial recognition"
    }
    assert "Deadline of 10 June 2021 extended with no end date" in page.locator("main").inner_text()

    events.first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("One-year moratorium")
    facts = page.locator(".facts").inner_text()
    assert "Original deadline 10 June 2021 · extended on 18 May 2021 with no end date" in facts
    assert "None stated" not in facts
    assert page.locator(".status-line").get_by_text("Extended with no end date").is_visible()
    assert "overdue" not in page.locator("main").inner_text().lower()
    assert "Not yet rated" in page.locator(".status-line").inner_text()  # no verdict invented

    page.route(
        "https://www.theverge.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Verge</h1>"),
    )
    page.locator(".history").get_by_role(
        "link", name="Amazon extends its police moratorium"
    ).click()
    page.wait_for_url("https://www.theverge.com/**")
    assert page.errors == []


def test_a_reader_sees_the_donation_partly_confirmed_not_zero(page, demo, screenshot_dir):
    page.goto(f"/pledges/{DONATION}/")
    money = page.locator(".money").inner_text()
    assert "Pledged\nUSD 10,000,000" in money
    assert "Confirmed delivered\nUSD 2,000,000 (20.0%)" in money
    assert "Unconfirmed\nUSD 8,000,000 announced, delivery not confirmed by a source" in money
    bar = page.locator("progress.money-bar")
    assert bar.evaluate("el => [el.value, el.max, el.position]") == [2_000_000, 10_000_000, 0.2]
    rows = page.locator("table.payments tbody tr")
    assert rows.count() == 11
    uncf = page.locator("table.payments tr", has=page.get_by_role("rowheader", name="UNCF"))
    assert "USD 1,000,000\t7 June 2020\tDiverse: Issues In Higher Education" in uncf.inner_text()
    assert page.locator("tr.payment-unconfirmed").count() == 9
    assert "$1M to UNCF confirmed" in page.locator(".history").inner_text()
    assert "USD 0" not in page.locator("main").inner_text()
    assert "Thurgood Marshall College Fund" in page.locator(".summary").inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("h2", has_text="Money").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "donation-money.png", full_page=True)
    assert page.errors == []


def test_a_reader_follows_a_correction_from_the_footer_to_the_pledge(page, upgraded_demo):
    page.goto("/")
    assert "passed" not in page.locator("section[aria-label=Events]").inner_text()
    page.locator(".site-footer").get_by_role("link", name="Corrections").click()
    entry = page.locator(".corrections li").first
    assert "we withdrew “Deadline of 10 June 2021 passed”" in entry.inner_text()
    assert "before it passed" in entry.inner_text()
    entry.get_by_role("link", name="One-year moratorium").click()
    assert "Original deadline 10 June 2021" in page.locator(".facts").inner_text()
    assert "passed" not in page.locator(".history").inner_text()
    assert "we withdrew" in page.locator("ul.corrections").inner_text()
    assert page.errors == []


def axe_violations(page):
    # Evaluated through the DevTools protocol rather than a <script> tag: the site's CSP
    # (rightly) refuses inline scripts, and the test tool must not need a weaker policy.
    page.evaluate(AXE.read_text())
    results = page.evaluate("async () => await axe.run(document)")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?company=amazon&status=sideways",
        "/pledges/amazon-rekognition-police-moratorium/",
        "/pledges/amazon-10-million-racial-justice-donation/",
        "/companies/amazon/",
        "/corrections/",
    ],
)
def test_axe_finds_nothing_serious_or_critical(page, demo, path):
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [1280, 390, 360])
def test_screenshots_of_the_main_pages(page, upgraded_demo, screenshot_dir, width):
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("timeline", "/"),
        ("pledge", "/pledges/amazon-rekognition-police-moratorium/"),
        ("donation", "/pledges/amazon-10-million-racial-justice-donation/"),
        ("company", "/companies/amazon/"),
        ("corrections", "/corrections/"),
    ]:
        page.goto(path)
        # Nothing may be wider than the phone: no sideways scrolling to read a page.
        overflow = page.evaluate("document.documentElement.scrollWidth") - width
        assert overflow <= 0, f"{path} is {overflow}px too wide at {width}px"
        page.screenshot(path=screenshot_dir / f"{name}-{width}.png", full_page=True)
    assert page.errors == []


def test_focus_is_visible_on_links(page, demo):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
