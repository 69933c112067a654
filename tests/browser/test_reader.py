"""The answer first, in a real browser on the demo data: the meter, the verdict summary and
the share panel at desktop and phone widths, and axe on the new pages."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_public_site import MORATORIUM, axe_violations, demo  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


def no_sideways_scroll(page, width):
    overflow = page.evaluate("document.documentElement.scrollWidth") - width
    assert overflow <= 0, f"{page.url} is {overflow}px too wide at {width}px"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_meter_answers_first_and_each_count_leads_to_its_pledges(page, demo, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    meter = page.locator(".meter")
    assert meter.is_visible()
    assert "3 published pledges" in meter.inner_text()
    unrated = meter.get_by_role("link", name="3 Not yet rated")
    assert unrated.is_visible()
    # Above the timeline: the answer before the list of events.
    events = page.locator("section[aria-label=Events]")
    assert meter.bounding_box()["y"] < events.bounding_box()["y"]
    no_sideways_scroll(page, width)
    unrated.click()
    page.wait_for_url("**/pledges/?status=not_yet_rated")
    assert page.locator(".pledge-card").count() == 3
    assert page.get_by_label("Status").input_value() == "not_yet_rated"
    no_sideways_scroll(page, width)
    assert page.errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_company_page_meter_links_within_the_company(page, demo, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/companies/amazon/")
    page.locator(".meter").get_by_role("link", name="2 Not yet rated").click()
    page.wait_for_url("**/pledges/?company=amazon&status=not_yet_rated")
    assert page.locator(".pledge-card").count() == 2
    no_sideways_scroll(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_verdict_comes_before_the_history(page, demo, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/pledges/{MORATORIUM}/")
    verdict = page.locator(".verdict")
    text = verdict.inner_text()
    assert "Not yet rated" in text
    assert "No reviewer has ruled on this pledge yet." in text
    assert "Last updated" in text
    history = page.get_by_role("heading", name="History")
    assert verdict.bounding_box()["y"] < history.bounding_box()["y"]
    # On a phone the verdict is on the first screen, not below the fold.
    assert verdict.bounding_box()["y"] < 900
    no_sideways_scroll(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_share_links_and_copy_link(page, demo, width):  # noqa: F811
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/pledges/{MORATORIUM}/")
    share = page.locator(".share")
    share.scroll_into_view_if_needed()
    for name in ("Email", "Bluesky", "X (Twitter)", "Facebook", "LinkedIn", "Reddit"):
        assert share.get_by_role("link", name=name).is_visible(), name
    copy = share.get_by_role("button", name="Copy link")
    assert copy.is_visible()  # shown by share.js, hidden without it
    copy.click()
    # The clipboard answers asynchronously; expect() waits until the status says so.
    expect(share.get_by_role("status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/pledges/{MORATORIUM}/")
    no_sideways_scroll(page, width)
    assert page.errors == []


def test_without_javascript_there_is_no_dead_copy_button(chromium, live_server, demo):  # noqa: F811
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"/pledges/{MORATORIUM}/")
    assert not page.get_by_role("button", name="Copy link").is_visible()
    assert page.locator(".share").get_by_role("link", name="Email").is_visible()
    context.close()


def test_stalled_and_partially_kept_badges_differ_without_colour(page, demo):  # noqa: F811
    page.goto("/")
    shapes = page.evaluate(
        """() => ['stalled', 'partially_kept'].map(status => {
            const badge = document.querySelector('.meter .badge-' + status);
            const style = getComputedStyle(badge);
            return [getComputedStyle(badge, '::before').content, style.borderStyle];
        })"""
    )
    (stalled_glyph, stalled_border), (partly_glyph, partly_border) = shapes
    assert stalled_glyph != partly_glyph
    assert stalled_border != partly_border


@pytest.mark.parametrize(
    "path",
    [
        "/pledges/",
        "/pledges/?deadline=soon&sort=deadline",
        "/companies/",
        "/api/",
    ],
)
def test_axe_finds_nothing_serious_or_critical_on_the_new_pages(page, demo, path):  # noqa: F811
    page.goto(path)
    assert axe_violations(page) == []
