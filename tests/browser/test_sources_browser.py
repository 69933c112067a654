"""A broken source on the demo's moratorium page, in a real browser: the archived copy
comes first, says why and when, and the page stays clean (axe, console)."""

import datetime as dt

import pytest

from commitments.models import Source
from tests.browser.test_public_site import KUOW, MORATORIUM, axe_violations, demo  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARCHIVED = "https://web.archive.org/web/20200612093000/" + KUOW


@pytest.mark.parametrize("width", [1280, 390])
def test_a_broken_source_leads_with_its_archived_copy(page, demo, width, screenshot_dir):  # noqa: F811
    Source.objects.filter(pledge__slug=MORATORIUM, url=KUOW).update(
        archive_url=ARCHIVED,
        archived_at=dt.datetime(2020, 6, 12, 9, 30, tzinfo=dt.UTC),
        broken_since=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/pledges/{MORATORIUM}/")

    item = page.locator("ul.sources li", has_text="original no longer available")
    assert item.count() == 1
    links = item.locator("a")
    assert links.nth(0).get_attribute("href") == ARCHIVED
    assert links.nth(1).get_attribute("href") == KUOW
    assert "archived copy from 12 June 2020" in item.inner_text()
    item.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / f"broken-source-{width}.png"), full_page=True)
    assert axe_violations(page) == []
    assert page.errors == []
