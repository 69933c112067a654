"""Two submissions from one link at the same moment keep exactly one; a cancellation racing
a submission leaves either a reply or a dead link, never both. For real, on PostgreSQL
(SQLite lets one writer in at a time; test_reply_page checks the second submission there)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from commitments.domain import replies
from commitments.models import Notification, Reply, ReplyRequest
from tests.factories import ContactFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: run with DATABASE_URL=postgres://…")


def at_once(*funcs):
    """Run each function in its own thread, released together; return their outcomes."""
    barrier = threading.Barrier(len(funcs))
    outcomes = [None] * len(funcs)

    def run(i, func):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = func()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(funcs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


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
