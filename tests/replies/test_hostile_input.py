"""Hostile text through every field a company fills on its reply page (response, name, role,
links), on every surface it reaches: the reply page itself, the pledge page and its
history, the Atom feeds, the JSON API, the follower's alert, the staff email and the
staff admin. HTML must hold no script; data surfaces must give the text back unchanged."""

import json
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from commitments.domain import replies
from commitments.models import Reply
from tests.alerts.conftest import follow
from tests.reminders.conftest import la
from tests.replies.conftest import reply_path
from tests.security.corpus import BREAKOUT_URL, HOSTILE_URLS, PAYLOADS
from tests.security.html_checks import assert_inert

ATOM = "{http://www.w3.org/2005/Atom}"


def body_of(response):
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_hostile_reply_fields_stay_inert_on_every_surface(
    name, ask, client, reviewer_client, reviewer, committed
):
    payload = PAYLOADS[name]
    request, [message] = ask()
    path = reply_path(message)
    form = {
        # Control characters are refused outright (tested elsewhere): keep the rest.
        "body": payload.replace("\r", ""),
        "links": f"https://ok.example/a\n{BREAKOUT_URL}",
        "name": payload[:200].replace("\r", "").replace("\n", " "),
        "role": payload[:200].replace("\r", "").replace("\n", " "),
    }
    follow("reader@example.org", on_reply=True)
    mail.outbox.clear()
    with committed(), time_machine.travel(la(2021, 6, 5, 9), tick=False):
        response = client.post(path, form)
        assert response.status_code == 302, body_of(response)[:2000]
        assert_inert(body_of(client.get(path)), "reply page after sending")
    reply = Reply.objects.get()
    assert reply.body == form["body"]
    assert reply.links == ["https://ok.example/a", BREAKOUT_URL]
    [staff_note] = mail.outbox
    assert_inert(staff_note.alternatives[0][0], "staff email")
    assert form["body"] in staff_note.body

    page = reviewer_client.get(f"/admin/commitments/replyrequest/{request.pk}/change/")
    assert_inert(body_of(page), "admin request page")

    mail.outbox.clear()
    with committed():
        replies.publish_reply(reply, actor=reviewer)
    [alert] = mail.outbox
    assert_inert(alert.alternatives[0][0], "alert email")

    # (The company page shows only counts of replies, never their text.)
    for url in ("/pledges/amazon-moratorium/", "/"):
        cache.clear()
        assert_inert(body_of(client.get(url)), url)
    for url in ("/pledges/amazon-moratorium/feed/", "/feed/"):
        cache.clear()
        root = ET.fromstring(body_of(client.get(url)))  # noqa: S314 - our own feed
        for entry in root.iter(f"{ATOM}entry"):
            summary = entry.find(f"{ATOM}summary")
            if summary is not None:
                assert_inert(summary.text or "", f"{url} summary")
    cache.clear()
    record = json.loads(body_of(client.get("/api/v1/pledges/amazon-moratorium/")))
    [event] = [e for e in record["events"] if e["kind"] == "company_reply"]
    assert event["rationale"] == form["body"]
    assert event["reply"]["name"] == form["name"]
    assert event["reply"]["links"] == ["https://ok.example/a", BREAKOUT_URL]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_links_that_are_not_web_addresses_are_refused(url, ask, client):
    request, [message] = ask()
    response = client.post(
        reply_path(message), {"body": "Fine.", "links": url, "name": "Jay", "role": ""}
    )
    assert response.status_code == 400
    assert "not complete web addresses" in body_of(response)
    assert not Reply.objects.exists()
