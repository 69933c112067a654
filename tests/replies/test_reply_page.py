"""The company's reply page: the signed link, the form's limits, one reply per request."""

import datetime as dt

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from commitments.domain import reply_tokens
from commitments.models import Reply, ReplyRequest
from tests.reminders.conftest import la
from tests.replies.conftest import reply_path

GOOD = {
    "body": "We kept it.\n\nThe moratorium was extended *indefinitely*.",
    "links": "https://amazon.example/news\nhttps://amazon.example/report.pdf",
    "name": "Jay Carney",
    "role": "SVP Policy",
}
DEAD = "This link does not work"


def test_the_page_shows_the_pledge_the_question_and_the_evidence(ask, client):
    request, [message] = ask()
    page = client.get(reply_path(message))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Has Amazon kept the moratorium?" in html
    assert "One-year moratorium on police use of Rekognition" in html
    assert "Amazon extends the moratorium" in html  # the evidence so far
    assert "15 June 2021" in html
    assert page["Cache-Control"].startswith("max-age=0")
    assert "noindex" in page["X-Robots-Tag"]


def test_a_reply_is_stored_staff_are_told_and_the_link_then_shows_what_was_sent(
    ask, client, committed
):
    request, [message] = ask()
    path = reply_path(message)
    mail.outbox.clear()
    with committed():
        response = client.post(path, GOOD)
    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.links == ["https://amazon.example/news", "https://amazon.example/report.pdf"]
    assert (reply.name, reply.role) == ("Jay Carney", "SVP Policy")
    assert not reply.is_published
    [note] = mail.outbox
    assert note.to == ["olga@tracker.example.org"]
    assert "Amazon replied" in note.subject
    assert "moratorium was extended" in note.body
    assert f"/replyrequest/{request.pk}/change/" in note.body

    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you" in thanks
    assert "extended <em>indefinitely</em>" in thanks
    again = client.get(path).content.decode()
    assert "already been sent" in again
    assert "Jay Carney" in again


def test_a_second_submission_from_the_same_link_keeps_the_first(ask, client):
    request, [message] = ask()
    path = reply_path(message)
    assert client.post(path, GOOD).status_code == 302
    second = Client().post(path, {**GOOD, "body": "A different answer."})
    assert second.status_code == 409
    assert "Nothing new was saved" in second.content.decode()
    assert Reply.objects.get().body == GOOD["body"]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "1:tampered-signature",
        signing.Signer(salt="commitments.alerts.manage").sign_object(1),  # another purpose
        signing.Signer(salt=reply_tokens.SALT).sign_object("1"),  # not an id
        reply_tokens.make(999_999),  # no such request
    ],
)
def test_a_damaged_foreign_or_unknown_link_gets_the_same_clear_page(ask, client, token):
    ask()
    response = client.get(f"/reply/{token}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert DEAD in html
    assert "mailto:" in html
    assert "Amazon" not in html  # nothing about any request
    assert client.post(f"/reply/{token}/", GOOD).status_code == 410
    assert not Reply.objects.exists()


def test_a_tampered_id_with_a_valid_looking_signature_is_refused(ask, client):
    request, [message] = ask()
    path = reply_path(message)
    token = path.split("/")[2]
    payload, signature = token.rsplit(":", 1)
    response = client.get(f"/reply/{payload}x:{signature}/")
    assert response.status_code == 410


def test_the_link_works_through_the_grace_days_then_expires(ask, client, settings):
    settings.TRACKER_REPLY_GRACE_DAYS = 7
    request, [message] = ask()  # reply by 15 June 2021
    path = reply_path(message)
    with time_machine.travel(la(2021, 6, 22, 23, 59), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(la(2021, 6, 23, 0, 0), tick=False):
        assert DEAD in client.get(path).content.decode()
        assert client.post(path, GOOD).status_code == 410
    assert not Reply.objects.exists()


def test_a_late_reply_in_the_grace_days_is_accepted(ask, client):
    request, [message] = ask()
    with time_machine.travel(la(2021, 6, 18, 9), tick=False):
        assert client.post(reply_path(message), GOOD).status_code == 302
    request.refresh_from_db()
    assert request.state == ReplyRequest.State.ANSWERED


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"body": "x" * 10_001}, "under 10000 characters"),
        ({"body": ""}, "Write your response."),
        ({"body": "Nul \x00 byte"}, "control characters"),
        ({"name": ""}, "Give your name"),
        ({"name": "n" * 201}, "at most 200 characters"),
        ({"links": "\n".join(f"https://a.example/{n}" for n in range(11))}, "at most 10 links"),
        ({"links": "javascript:alert(1)"}, "not complete web addresses"),
        ({"links": "ftp://files.example/x"}, "not complete web addresses"),
        ({"links": "https://a.example/" + "x" * 500}, "not complete web addresses"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_stored(ask, client, change, error):
    request, [message] = ask()
    response = client.post(reply_path(message), {**GOOD, **change})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Reply.objects.exists()


def test_a_huge_post_is_refused_without_a_traceback(ask, client):
    request, [message] = ask()
    response = client.post(reply_path(message), {**GOOD, "body": "x" * 3_000_000})
    assert response.status_code == 400
    assert not Reply.objects.exists()


def test_the_form_needs_its_csrf_token(ask):
    request, [message] = ask()
    browser = Client(enforce_csrf_checks=True)
    path = reply_path(message)
    assert browser.post(path, GOOD).status_code == 403
    page = browser.get(path).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert browser.post(path, {**GOOD, "csrfmiddlewaretoken": token}).status_code == 302


def test_submissions_are_rate_limited_per_address(ask, client, settings):
    settings.TRACKER_REPLY_RATE_PER_IP = "3/h"
    request, [message] = ask()
    path = reply_path(message)
    statuses = [client.post(path, {**GOOD, "body": ""}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert "Please wait" in client.post(path, GOOD).content.decode()
    assert not Reply.objects.exists()


def test_a_reply_by_date_moved_by_staff_moves_the_link_expiry(ask, client):
    request, [message] = ask()
    ReplyRequest.objects.filter(pk=request.pk).update(reply_by=dt.date(2021, 5, 1))
    assert client.get(reply_path(message)).status_code == 410
