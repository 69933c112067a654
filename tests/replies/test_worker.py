"""End to end with a real Celery worker (with beat) and a real SMTP server, on a database
prepared like ``make run`` (migrate, load_demo): staff ask Amazon for comment → the
contact's email → the reply page → staff told → published → pledge page, feed, API; and a
request left unanswered → "no response" on the page, staff told exactly once across
worker restarts. Pages are read with Django's test client inside ``manage.py shell``,
against the worker's own database.
"""

import json
import subprocess
import sys
from email.header import decode_header, make_header

import pytest

from tests.reminders.smtp import Sink, smtp_sink
from tests.reminders.test_worker import ROOT, Worker, app_env, database_url  # noqa: F401

pytestmark = pytest.mark.services

PLEDGE = "amazon-rekognition-police-moratorium"
CONTACT = "jay@amazon.example"
STAFF = "advocacy@example.org"  # no owner, no Reviewers in the demo: TRACKER_STAFF_EMAILS

ASK = f"""
import datetime as dt
from commitments.domain import calendar, replies
from commitments.models import CompanyContact, Pledge
pledge = Pledge.objects.get(slug={PLEDGE!r})
contact = CompanyContact.objects.create(company=pledge.company, name="Jay Carney",
    role="SVP Policy", email={CONTACT!r})
replies.ask_for_response(pledge, contacts=[contact], question="Has Amazon kept it?",
    reply_by=calendar.today() + dt.timedelta(days=14), actor=None)
"""

ANSWER = """
import json
from django.test import Client
path = PATH
client = Client()
page = client.get(path)
sent = client.post(path, {"body": "We kept it, *indefinitely*.", "links": "https://amazon.example/a",
    "name": "Jay Carney", "role": "SVP Policy"})
again = client.post(path, {"body": "Another answer.", "links": "", "name": "X", "role": ""})
print(json.dumps([page.status_code, sent.status_code, again.status_code]))
"""

PUBLISH_AND_READ = f"""
import json
from django.core.cache import cache
from django.test import Client
from commitments.domain import replies
from commitments.models import Reply
replies.publish_reply(Reply.objects.get(), actor=None)
cache.clear()
client = Client()
page = " ".join(client.get("/pledges/{PLEDGE}/").content.decode().split())
feed = client.get("/pledges/{PLEDGE}/feed/").content.decode()
api = client.get("/api/v1/pledges/{PLEDGE}/").json()
print(json.dumps({{
    "page": "and replied on" in page and "<em>indefinitely</em>" in page,
    "feed": "The company replied to our request for comment" in feed,
    "api": [e["reply"]["name"] for e in api["events"] if e["kind"] == "company_reply"],
}}))
"""

LAPSE = """
import datetime as dt
from commitments.domain import calendar, replies
from commitments.models import CompanyContact, Pledge, ReplyRequest
pledge = Pledge.objects.get(slug="ibm-exit-general-purpose-facial-recognition")
contact = CompanyContact.objects.create(company=pledge.company, name="Pat", email="pat@ibm.example")
request = replies.ask_for_response(pledge, contacts=[contact], question="Any comment?",
    reply_by=calendar.today(), actor=None)
# Asked two weeks ago; the reply-by day ended yesterday.
ReplyRequest.objects.filter(pk=request.pk).update(
    reply_by=calendar.today() - dt.timedelta(days=1),
    sent_at=calendar.start_of_day(calendar.today() - dt.timedelta(days=15)))
"""

READ_LAPSE = """
from django.core.cache import cache
from django.test import Client
cache.clear()
page = " ".join(Client().get("/pledges/ibm-exit-general-purpose-facial-recognition/").content.decode().split())
print("and did not respond by" in page)
"""


def shell(env, tmp_path, code):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def subject(message):
    return str(make_header(decode_header(message["Subject"])))


def to(sink, address, words):
    return [m for m in sink.received if m["To"] == address and words in subject(m)]


def test_a_real_worker_carries_a_request_for_comment_through(tmp_path, app_env):  # noqa: F811
    sink = Sink()
    with smtp_sink(sink) as port:
        app_env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
        shell(app_env, tmp_path, ASK)
        worker = Worker(app_env, tmp_path, "first")
        try:
            worker.wait_for(lambda: to(sink, CONTACT, "Request for comment"), "the request")
            [request_email] = to(sink, CONTACT, "Request for comment")
            text = request_email.get_body(("plain",)).get_content()
            path = "/reply/" + text.split("https://tracker.example.org/reply/")[1].split()[0]
            statuses = json.loads(shell(app_env, tmp_path, ANSWER.replace("PATH", repr(path))))
            assert statuses == [200, 302, 409]
            worker.wait_for(lambda: to(sink, STAFF, "Amazon replied"), "the staff note")
            seen = json.loads(shell(app_env, tmp_path, PUBLISH_AND_READ))
            assert seen == {"page": True, "feed": True, "api": ["Jay Carney"]}
        finally:
            worker.stop()

        shell(app_env, tmp_path, LAPSE)
        for name in ("second", "third"):  # the sweep on start, twice: one note only
            again = Worker(app_env, tmp_path, name)
            try:
                again.wait_for(
                    lambda w=again: "'replies': {" in w.output(), "the sweep after a restart"
                )
                if name == "second":
                    again.wait_for(lambda: to(sink, STAFF, "No response from IBM"), "the note")
            finally:
                again.stop()
        assert len(to(sink, STAFF, "No response from IBM")) == 1
        assert len(to(sink, CONTACT, "Request for comment")) == 1
        assert len(to(sink, STAFF, "Amazon replied")) == 1
        assert shell(app_env, tmp_path, READ_LAPSE) == "True"
