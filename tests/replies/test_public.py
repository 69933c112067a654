"""What the public sees of the right of reply: the pledge page, history, feeds, open data,
alerts, the company's record and the methodology; and nothing unpublished."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from commitments.domain import replies
from commitments.models import Page
from tests.alerts.conftest import follow
from tests.reminders.conftest import la

SENT = {
    "body": "We kept it.\n\n- The moratorium was *extended*.",
    "links": ["https://amazon.example/news"],
    "name": "Jay Carney",
    "role": "SVP Policy",
}


@pytest.fixture(autouse=True)
def _no_page_cache():
    cache.clear()


FIFTH_OF_JUNE = la(2021, 6, 5, 9)


def answered(request, moment=FIFTH_OF_JUNE, **changes):
    with time_machine.travel(moment, tick=False):
        return replies.submit_reply(request.pk, **{**SENT, **changes})


def page(client, url):
    cache.clear()
    response = client.get(url)
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def text(client, url):
    """The page as read: tags dropped, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", page(client, url)).split())


def test_a_published_reply_is_on_the_pledge_page_timeline_feeds_and_api(
    ask, reviewer, client, committed
):
    request, _ = ask()
    reply = answered(request)
    follow("reader@example.org", on_reply=True)
    follow("not-replies@example.org")  # signed up before replies existed: not told
    mail.outbox.clear()
    with committed():
        replies.publish_reply(reply, actor=reviewer)

    assert "Amazon was asked for comment on 1 June 2021 and replied on 5 June 2021." in text(
        client, "/pledges/amazon-moratorium/"
    )
    html = page(client, "/pledges/amazon-moratorium/")
    assert "The moratorium was <em>extended</em>." in html
    assert "Jay Carney, SVP Policy, Amazon" in html
    assert 'href="https://amazon.example/news"' in html
    assert "formatting edited" not in html

    assert "The company replied to our request for comment" in page(client, "/")
    feed = page(client, "/pledges/amazon-moratorium/feed/")
    assert "The company replied to our request for comment" in feed
    assert "&lt;em&gt;extended&lt;/em&gt;" in feed  # rendered Markdown, escaped in the XML

    record = json.loads(page(client, "/api/v1/pledges/amazon-moratorium/"))
    [event] = [e for e in record["events"] if e["kind"] == "company_reply"]
    assert event["rationale"] == SENT["body"]
    assert event["reply"] == {
        "name": "Jay Carney",
        "role": "SVP Policy",
        "links": ["https://amazon.example/news"],
        "edited": False,
    }
    assert event["request_for_comment"] == {"asked_on": "2021-06-01", "reply_by": "2021-06-15"}
    events = json.loads(page(client, "/api/v1/events/"))["data"]
    assert [e["reply"]["name"] for e in events if e["kind"] == "company_reply"] == ["Jay Carney"]

    [alert] = mail.outbox
    assert alert.to == ["reader@example.org"]
    assert "Amazon's reply, from Jay Carney, SVP Policy" in alert.body
    assert "https://amazon.example/news" in alert.body


def test_no_response_by_the_date_is_said_on_the_pledge_page_and_history(ask, client, committed):
    request, _ = ask()
    with committed(), time_machine.travel(la(2021, 6, 16, 9), tick=False):
        replies.sweep_replies()
        html = page(client, "/pledges/amazon-moratorium/")
        assert (
            "Amazon was asked for comment on 1 June 2021 and did not respond by 15 June 2021."
            in html
        )
        assert "No response to our request for comment" in page(client, "/api/v1/events/")


def test_a_late_reply_keeps_the_no_response_and_adds_the_reply(ask, reviewer, client, committed):
    request, _ = ask()
    with committed(), time_machine.travel(la(2021, 6, 16, 9), tick=False):
        replies.sweep_replies()
    reply = answered(request, la(2021, 6, 18, 9))
    replies.publish_reply(reply, actor=reviewer)
    with time_machine.travel(la(2021, 6, 19, 9), tick=False):
        html = text(client, "/pledges/amazon-moratorium/")
    assert (
        "Amazon was asked for comment on 1 June 2021, did not respond by 15 June 2021, "
        "and replied on 18 June 2021." in html
    )


def test_an_edited_reply_says_so(ask, reviewer, client):
    request, _ = ask()
    reply = replies.publish_reply(answered(request), actor=reviewer)
    replies.correct_formatting(
        reply, body="We **kept** it.\n\n- The moratorium was extended.", actor=reviewer
    )
    html = page(client, "/pledges/amazon-moratorium/")
    assert "formatting edited by the tracker; the words are as sent" in html
    assert "<strong>kept</strong>" in html


def test_the_company_page_shows_its_response_rate_and_median_days(
    ask, reviewer, client, committed, asked_pledge
):
    first, _ = ask()
    replies.publish_reply(answered(first, la(2021, 6, 5, 9)), actor=reviewer)  # 4 days
    second, _ = ask()
    replies.publish_reply(answered(second, la(2021, 6, 11, 9)), actor=reviewer)  # 10 days
    ask()  # expires unanswered
    ask(reply_by=dt.date(2021, 7, 30))  # still open: not counted
    unpublished, _ = ask()
    answered(unpublished, la(2021, 6, 3, 9))  # in, not yet published: not counted
    with committed(), time_machine.travel(la(2021, 6, 20, 9), tick=False):
        replies.sweep_replies()
        html = page(client, "/companies/amazon/")
    assert "Asked for comment 3 times, Amazon replied 2 times: a response rate of 67%." in html
    assert "Median time to reply: 7 days." in html


def test_the_methodology_explains_the_right_of_reply_and_staff_may_rewrite_it(client, db):
    assert "we may ask the company for comment" in page(client, "/methodology/")
    Page.objects.create(slug="right-of-reply", title="Asking companies", body="Our *own* words.")
    html = page(client, "/methodology/")
    assert "Asking companies" in html
    assert "Our <em>own</em> words." in html


def test_an_unpublished_or_withheld_reply_is_on_no_public_surface(ask, reviewer, client, committed):
    secret = "Confidential: we never intended to keep it."
    pending_request, _ = ask()
    answered(pending_request, body=secret, name="Secret Sam")
    withheld_request, _ = ask()
    reply = answered(withheld_request, body=secret, name="Secret Sam")
    replies.publish_reply(reply, actor=reviewer)
    replies.withhold_reply(reply, reason="Libels a named employee.", actor=reviewer)
    follow("reader@example.org", on_reply=True)
    # Even after both reply-by dates pass, neither says "did not respond" (they did).
    with committed(), time_machine.travel(la(2021, 6, 20, 9), tick=False):
        replies.sweep_replies()
        urls = [
            "/",
            "/pledges/amazon-moratorium/",
            "/pledges/amazon-moratorium/feed/",
            "/feed/",
            "/companies/amazon/",
            "/companies/amazon/feed/",
            "/api/v1/pledges/amazon-moratorium/",
            "/api/v1/events/",
            "/pledges.json",
            "/pledges.csv",
            "/corrections/",
        ]
        corrected = ("/pledges/amazon-moratorium/", "/corrections/")
        for url in urls:
            text = page(client, url)
            for leak in (secret, "Secret Sam", "Libels", "did not respond"):
                assert leak not in text, (url, leak)
            # The withheld reply had been published: only the correction may mention it.
            if url in corrected:
                assert "took the company&#x27;s reply off the record" in text, url
                text = text.replace("The company replied to our request for comment", "")
            assert "replied" not in text, url
    assert [m for m in mail.outbox if "reader@example.org" in m.to] == []
