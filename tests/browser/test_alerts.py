"""A reader follows a pledge in the browser, confirms by email, gets an alert, leaves."""

import re

import pytest
from playwright.sync_api import expect

from commitments.domain import workflow
from commitments.models import Subscriber, Subscription
from tests.alerts.conftest import _fresh_caches, eager_celery, smtp_sink  # noqa: F401
from tests.factories import PledgeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link_in(message, path):
    """The link to ``path`` in the plain-text part, relative to the site."""
    [text] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    body = text.get_payload(decode=True).decode()
    match = re.search(rf"https://tracker\.example\.org({re.escape(path)}\S+)", body)
    assert match, body
    return match.group(1)


def test_a_reader_subscribes_from_a_pledge_page_confirms_and_unsubscribes(page, smtp_sink):  # noqa: F811
    pledge = PledgeFactory(title="Stop selling face recognition to police")
    page.goto(pledge.get_absolute_url())
    page.get_by_label("Your email address").fill("reader@example.org")
    assert page.get_by_label("This pledge", exact=True).is_checked()
    page.get_by_role("button", name="Send me a confirmation email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    [confirmation] = smtp_sink.to("reader@example.org")
    page.goto(link_in(confirmation, "/alerts/confirm/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    assert Subscription.objects.get().pledge == pledge

    reviewer = UserFactory(username="reviewer", is_superuser=True)
    workflow.record_verdict(pledge, status="stalled", rationale="No news.", actor=reviewer)
    [_, alert] = smtp_sink.to("reader@example.org")
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(link_in(alert, "/alerts/unsubscribe/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Stop all alerts?"
    assert Subscriber.objects.count() == 1  # opening the page changed nothing
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're unsubscribed")
    assert Subscriber.objects.count() == 0
    assert page.errors == []


def test_a_mistyped_address_is_pointed_out_next_to_the_field(page):
    pledge = PledgeFactory()
    page.goto(pledge.get_absolute_url())
    page.get_by_label("Your email address").fill("reader@")
    page.get_by_role("button", name="Send me a confirmation email").click()
    # The click only starts the form's page load: expect() waits for the answer to show.
    expect(page.get_by_text("Enter a complete email address")).to_be_visible()
    assert page.get_by_label("Your email address").input_value() == "reader@"
    assert Subscriber.objects.count() == 0
