"""A reader's path through the public site in a real browser, plus axe-core and screenshots."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from commitments import workflow
from commitments.models import Pledge, Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
KUOW = "https://www.kuow.org/stories/amazon-halts-police-use-of-its-facial-recognition-technology"


@pytest.fixture
def demo():
    call_command("load_demo")
    # A moved deadline and a verdict, so the history, chart and badges have something to show.
    moratorium = Pledge.objects.get(slug="amazon-rekognition-police-moratorium")
    source = Source.objects.get(pledge=moratorium)
    source.archive_url = "https://web.archive.org/web/2020/" + KUOW
    source.save()
    workflow.move_deadline(
        moratorium,
        new_deadline=dt.date(2021, 7, 1),
        rationale="Amazon said the moratorium would run until further notice.",
        source=source,
        effective_on=dt.date(2021, 5, 18),
        actor=None,
    )
    workflow.record_verdict(
        moratorium,
        status="in_progress",
        rationale="Amazon extended the moratorium indefinitely; no police use reported.",
        sources=[source],
        effective_on=dt.date(2021, 5, 19),
        actor=None,
    )
    donation = Pledge.objects.get(slug="amazon-10-million-racial-justice-donation")
    donation.amount_delivered = 4_000_000
    donation.save()


def test_a_reader_filters_the_timeline_opens_a_pledge_and_follows_a_source(page, demo):
    page.goto("/")
    page.get_by_label("Company").select_option(label="Amazon")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Show").click()
    assert "company=amazon" in page.url
    assert "status=in_progress" in page.url
    events = page.locator(".event-pledge")
    assert set(events.all_inner_texts()) == {
        "One-year moratorium on police use of Rekognition facial recognition"
    }
    assert page.get_by_label("Status").input_value() == "in_progress"

    events.first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("One-year moratorium")
    assert page.get_by_text("Deadline moved 1 time").is_visible()

    page.route(
        "https://www.kuow.org/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>KUOW</h1>"),
    )
    page.locator(".sources").get_by_role("link", name="Amazon halts police use").click()
    page.wait_for_url(KUOW)
    assert page.url == KUOW
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
    ],
)
def test_axe_finds_nothing_serious_or_critical(page, demo, path):
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_of_the_main_pages(page, demo, screenshot_dir, width):
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("timeline", "/"),
        ("pledge", "/pledges/amazon-rekognition-police-moratorium/"),
        ("donation", "/pledges/amazon-10-million-racial-justice-donation/"),
        ("company", "/companies/amazon/"),
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
