"""Two submissions from one link at the same moment keep exactly one; a cancellation racing
a submission leaves either a reply or a dead link, never both. For real, on PostgreSQL
(SQLite lets one writer in at a time; test_reply_page checks the second submission there)."""

import datetime as dt

import pytest

from commitments.domain import replies
from commitments.models import Notification, Reply, ReplyRequest
from tests.concurrency import at_once, postgres_only
from tests.factories import ContactFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only(db):
    postgres_only()


@pytest.fixture
def request_(settings):
    settings.TRACKER_STAFF_EMAILS = ["advocacy@example.org"]
    pledge = PledgeFactory(deadline=dt.date(2099, 1, 1))
    contact = ContactFactory(company=pledge.company)
    return replies.ask_for_response(
        pledge, contacts=[contact], question="Q?", reply_by=dt.date(2099, 1, 1), actor=None
    )


def submit(request, body):
    return lambda: replies.submit_reply(request.pk, body=body, links=[], name="N", role="")


def test_two_submissions_at_once_keep_exactly_one(request_):
    for _ in range(10):
        Reply.objects.all().delete()
        ReplyRequest.objects.update(answered_at=None)
        outcomes = at_once(submit(request_, "first"), submit(request_, "second"))
        kept = [o for o in outcomes if isinstance(o, Reply)]
        refused = [o for o in outcomes if isinstance(o, replies.LinkRefused)]
        assert (len(kept), len(refused)) == (1, 1), outcomes
        assert refused[0].reason == "answered"
        assert Reply.objects.get().body == kept[0].body
    # Staff are told once, however many times the link was used.
    assert Notification.objects.filter(kind="reply_received").count() == 1


def test_a_cancellation_racing_a_submission_leaves_one_outcome(request_):
    staff = UserFactory(username="canceller", is_superuser=True)
    outcomes = at_once(
        submit(request_, "answer"), lambda: replies.cancel_request(request_, actor=staff)
    )
    request_.refresh_from_db()
    if isinstance(outcomes[0], Reply):
        assert outcomes[1] is False
        assert request_.cancelled_at is None
    else:
        assert outcomes[1] is True
        assert outcomes[0].reason == "cancelled"
        assert not Reply.objects.exists()
