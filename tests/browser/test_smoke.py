import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_opens_a_pledge_from_the_home_page(page):
    call_command("load_demo")
    page.goto("/")
    # The pledge appears twice in the timeline: announced, and its deadline extended.
    page.get_by_role("link", name="One-year moratorium on police use of Rekognition").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^One-year moratorium"))
    expect(page.get_by_text("Extended with no end date").first).to_be_visible()
    assert page.errors == []
