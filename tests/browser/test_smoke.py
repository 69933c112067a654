import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_opens_a_pledge_from_the_home_page(page):
    call_command("load_demo")
    page.goto("/")
    # The pledge is both in "Overdue, not yet rated" and in the timeline below it.
    page.get_by_role("link", name="One-year moratorium on police use of Rekognition").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("One-year moratorium")
    assert page.get_by_text("overdue").first.is_visible()
    assert page.errors == []
