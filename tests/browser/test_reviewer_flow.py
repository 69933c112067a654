"""A reviewer's path through the admin: queue → record verdict with a source → history."""

import datetime as dt

import pytest
from django.urls import reverse

from commitments.domain import calendar
from tests.factories import CompanyFactory, PledgeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's


def test_a_reviewer_rules_on_an_overdue_pledge_and_sees_it_in_the_history(page):
    UserFactory(username="rita", groups=["Reviewers"])
    pledge = PledgeFactory(
        company=CompanyFactory(name="Amazon", slug="amazon"),
        title="One-year moratorium on police use of Rekognition",
        slug="amazon-moratorium",
        announced_on=calendar.today() - dt.timedelta(days=400),
        deadline=calendar.today() - dt.timedelta(days=35),
    )

    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The index announces the queue and its size.
    panel = page.locator("#awaiting-verdict")
    assert "1 published pledge past its deadline" in panel.inner_text()
    panel.get_by_role("link", name="Open the queue").click()

    row = page.locator("#result_list tbody tr").filter(has_text="Rekognition")
    assert "35 days" in row.inner_text()
    row.get_by_role("link", name="Record verdict").click()

    page.wait_for_url("**/verdict/**")
    assert page.get_by_text("The company does what it said.").is_visible()  # success criteria
    page.get_by_label("New status").select_option("kept")
    page.get_by_label("Rationale").fill("No police force used Rekognition during the year.")
    page.get_by_label("New source URL").fill("https://news.example.com/moratorium-held")
    page.get_by_label("New source title").fill("Moratorium held, police confirm")
    page.get_by_label("New source publisher").fill("Example News")
    page.get_by_role("button", name="Record a verdict").click()

    # Back on the queue, now empty, with a confirmation.
    assert "Recorded “Kept”" in page.locator(".messagelist").inner_text()
    assert page.locator("#result_list").count() == 0

    page.goto(reverse("admin:commitments_pledge_history", args=[pledge.pk]))
    history = page.locator("#change-history").inner_text()
    assert "Verdict: Kept" in history
    assert "rita" in history

    page.goto(pledge.get_absolute_url())
    public_history = page.locator("ol.history").inner_text()
    assert "Rated “Kept”" in public_history
    assert "Moratorium held, police confirm" in public_history
    assert page.errors == []
