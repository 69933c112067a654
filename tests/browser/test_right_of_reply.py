"""A company answers a request for comment in the browser, and readers see the reply.

Real SMTP sink, tasks run as a worker would (eagerly, after commit): staff ask → the
contact's email → the reply page → staff told → published → the public pledge page.
Screenshots of the company's reply page and the public pledge page go to test-artifacts/.
"""

import datetime as dt
import json
import re
from email.header import decode_header, make_header

import pytest
import time_machine
from playwright.sync_api import expect

from commitments.domain import replies
from tests.alerts.conftest import _fresh_caches, eager_celery, smtp_sink  # noqa: F401
from tests.browser.test_alerts import link_in
from tests.factories import ContactFactory, PledgeFactory, SourceFactory, UserFactory
from tests.reminders.conftest import la

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def subject(message):
    return str(make_header(decode_header(message["Subject"])))


def test_a_company_replies_in_the_browser_and_readers_see_it(page, smtp_sink, screenshot_dir):  # noqa: F811
    owner = UserFactory(username="owner", email="owner@tracker.example.org", is_superuser=True)
    with time_machine.travel(la(2021, 5, 3, 9), tick=True):
        pledge = PledgeFactory(
            title="One-year moratorium on police use of Rekognition",
            slug="amazon-moratorium",
            company__name="Amazon",
            company__slug="amazon",
            owner=owner,
            announced_on=dt.date(2020, 6, 10),
            deadline=dt.date(2021, 6, 10),
        )
        SourceFactory(pledge=pledge, title="Amazon extends the moratorium")
        contact = ContactFactory(
            company=pledge.company, name="Jay Carney", role="SVP Policy", email="jay@amazon.example"
        )
        replies.ask_for_response(
            pledge,
            contacts=[contact],
            question="Has Amazon kept the one-year moratorium? What evidence can you share?",
            reply_by=dt.date(2021, 5, 17),
            actor=owner,
        )
    [request_email] = smtp_sink.to("jay@amazon.example")
    assert "Request for comment" in subject(request_email)
    path = link_in(request_email, "/reply/")

    with time_machine.travel(la(2021, 5, 9, 9), tick=True):
        page.goto(path)
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Respond before we record our assessment"
        )
        assert "Has Amazon kept the one-year moratorium?" in page.content()
        page.screenshot(path=screenshot_dir / "reply-page-company.png", full_page=True)
        page.get_by_label("Your response").fill(
            "We kept the moratorium and extended it **indefinitely** in May 2021.\n\n"
            "- No police department has used Rekognition since June 2020."
        )
        page.get_by_label("Links to evidence (optional)").fill(
            "https://www.aboutamazon.example/news/policy\nhttps://www.aboutamazon.example/report"
        )
        page.get_by_label("Your name").fill("Jay Carney")
        page.get_by_label("Your role (optional)").fill("SVP Policy")
        page.get_by_role("button", name="Send the response").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Thank you: we have your response"
        )
        page.screenshot(path=screenshot_dir / "reply-page-sent.png", full_page=True)

    [staff_note] = smtp_sink.to("owner@tracker.example.org")
    assert "Amazon replied" in subject(staff_note)

    reply = pledge.reply_requests.get().reply
    with time_machine.travel(la(2021, 5, 10, 9), tick=True):
        replies.publish_reply(reply, actor=owner)
        page.goto(pledge.get_absolute_url())
        text = " ".join(page.locator("main").inner_text().split())
        assert "Amazon was asked for comment on 3 May 2021 and replied on 9 May 2021." in text
        assert "— Jay Carney, SVP Policy, Amazon" in text
        reply_item = page.locator(".history-company_reply")
        assert reply_item.locator("strong").inner_text() == "indefinitely"
        assert reply_item.get_by_role("link").count() == 2
        page.screenshot(path=screenshot_dir / "reply-public-pledge.png", full_page=True)
        assert page.errors == []

        feed = page.request.get(pledge.get_absolute_url() + "feed/").text()
        assert "The company replied to our request for comment" in feed
        api = json.loads(page.request.get("/api/v1/pledges/amazon-moratorium/").text())
        [event] = [e for e in api["events"] if e["kind"] == "company_reply"]
        assert event["reply"]["name"] == "Jay Carney"

    # The link now shows what was sent, and a second submission is refused.
    page.goto(path)
    assert re.search("already been sent", page.content())
