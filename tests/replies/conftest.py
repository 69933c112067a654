"""Fixtures for the right-of-reply tests: a pledge with a contact, staff, and a way to ask."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from commitments.domain import replies
from tests.admin.conftest import _fast_passwords, editor, editor_client, reviewer, reviewer_client  # noqa: F401
from tests.alerts.conftest import _fresh_caches, committed, eager_celery, link_in  # noqa: F401
from tests.factories import ContactFactory, SourceFactory, UserFactory
from tests.reminders.conftest import la

# The tracker's clock for these tests: 1 June 2021, mid-morning in Los Angeles.
TODAY = dt.date(2021, 6, 1)
NOW = la(2021, 6, 1, 10, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(db):
    return UserFactory(username="olga", email="olga@tracker.example.org", groups=["Reviewers"])


@pytest.fixture
def asked_pledge(pledge, owner):
    pledge.owner = owner
    pledge.save()
    SourceFactory(
        pledge=pledge, title="Amazon extends the moratorium", url="https://news.example.com/a"
    )
    return pledge


@pytest.fixture
def contact(asked_pledge):
    return ContactFactory(
        company=asked_pledge.company,
        name="Jay Carney",
        role="SVP Policy",
        email="jay@amazon.example",
    )


@pytest.fixture
def ask(asked_pledge, contact, editor, committed):  # noqa: F811 - fixtures imported above
    """Send a request the way the admin does; returns (request, the email sent)."""

    def send(reply_by=TODAY + dt.timedelta(days=14), contacts=None):
        mail.outbox.clear()
        with committed():
            request = replies.ask_for_response(
                asked_pledge,
                contacts=contacts or [contact],
                question="Has Amazon kept the moratorium?",
                reply_by=reply_by,
                actor=editor,
            )
        return request, list(mail.outbox)

    return send


def reply_path(message):
    return link_in(message, "/reply/")
