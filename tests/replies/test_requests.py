"""Staff ask a company for a response: the email, the link, cancelling, and the sweep."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from commitments.domain import replies
from commitments.models import Notification, ReplyRequest
from tests.factories import ContactFactory, UserFactory
from tests.reminders.conftest import la
from tests.replies.conftest import TODAY, reply_path


def test_asking_emails_each_contact_once_with_a_link_to_the_reply_page(ask, contact, client):
    second = ContactFactory(company=contact.company, email="press@amazon.example")
    request, outbox = ask(contacts=[contact, second])
    assert sorted(m.to[0] for m in outbox) == ["jay@amazon.example", "press@amazon.example"]
    message = outbox[0]
    assert "Request for comment" in message.subject
    assert "Has Amazon kept the moratorium?" in message.body
    assert "15 June 2021" in message.body
    assert reply_path(outbox[0]) == reply_path(outbox[1])  # one link per request
    assert request.state == ReplyRequest.State.SENT
    assert set(Notification.objects.values_list("kind", "status")) == {("reply_request", "sent")}

    page = client.get(reply_path(message))
    assert page.status_code == 200
    request.refresh_from_db()
    assert request.state == ReplyRequest.State.OPENED


def test_asking_again_through_delivery_sends_nothing_twice(ask):
    request, outbox = ask()
    assert len(outbox) == 1
    from commitments.mail import delivery

    ids = list(Notification.objects.values_list("pk", flat=True))
    assert delivery.send_batch(ids) == {}
    assert len(mail.outbox) == 1


def test_asking_needs_a_contact_of_the_company_a_question_and_a_future_date(asked_pledge, editor):
    other = ContactFactory()
    with pytest.raises(ValidationError) as error:
        replies.ask_for_response(
            asked_pledge,
            contacts=[other],
            question=" ",
            reply_by=TODAY - dt.timedelta(days=1),
            actor=editor,
        )
    assert set(error.value.message_dict) == {"contacts", "question", "reply_by"}


def test_staff_without_a_role_cannot_ask(asked_pledge, contact):
    nobody = UserFactory(username="nobody")
    with pytest.raises(PermissionDenied):
        replies.ask_for_response(
            asked_pledge, contacts=[contact], question="Q?", reply_by=TODAY, actor=nobody
        )


def test_the_default_question_states_the_pledge_and_its_evidence(asked_pledge):
    question = replies.default_question(asked_pledge)
    assert asked_pledge.title in question
    assert asked_pledge.success_criteria in question
    assert "10 June 2021" in question
    assert "https://news.example.com/a" in question


def test_a_cancelled_request_sends_nothing_more_and_its_link_is_dead(
    ask, editor, client, committed
):
    request, [message] = ask()
    assert replies.cancel_request(request, actor=editor)
    response = client.get(reply_path(message))
    assert response.status_code == 410
    assert "This link does not work" in response.content.decode()
    # The reminder falls due, but the request is cancelled.
    mail.outbox.clear()
    with committed(), time_machine.travel(la(2021, 6, 12, 9), tick=False):
        report = replies.sweep_replies()
    assert report.reminded == 0
    assert mail.outbox == []


def test_the_contacts_are_reminded_once_three_days_before_the_reply_by_date(ask, committed):
    request, _ = ask()
    mail.outbox.clear()
    with committed(), time_machine.travel(la(2021, 6, 11, 9), tick=False):
        assert replies.sweep_replies().reminded == 0  # four days before: not yet
    with committed(), time_machine.travel(la(2021, 6, 12, 9), tick=False):
        assert replies.sweep_replies().reminded == 1
        assert replies.sweep_replies().reminded == 0
    with committed(), time_machine.travel(la(2021, 6, 13, 9), tick=False):
        assert replies.sweep_replies().reminded == 0
    [reminder] = mail.outbox
    assert reminder.to == ["jay@amazon.example"]
    assert "Reminder" in reminder.subject
    assert "only reminder" in reminder.body


def test_an_answered_request_gets_no_reminder(ask, committed):
    request, _ = ask()
    replies.submit_reply(request.pk, body="Done.", links=[], name="Jay", role="")
    mail.outbox.clear()
    with committed(), time_machine.travel(la(2021, 6, 12, 9), tick=False):
        assert replies.sweep_replies().reminded == 0
    assert mail.outbox == []


def test_a_request_with_a_short_reply_by_date_gets_no_reminder(ask, committed):
    ask(reply_by=TODAY + dt.timedelta(days=2))
    mail.outbox.clear()
    with committed():
        assert replies.sweep_replies().reminded == 0
    assert mail.outbox == []


def test_when_the_reply_by_date_passes_unanswered_staff_are_told_exactly_once(ask, committed):
    request, _ = ask()
    mail.outbox.clear()
    with committed(), time_machine.travel(la(2021, 6, 15, 23, 59), tick=False):
        assert replies.sweep_replies().lapsed == 0  # the reply-by day is not over
    for moment in (la(2021, 6, 16, 0, 1), la(2021, 6, 16, 0, 5), la(2021, 6, 20, 9)):
        with committed(), time_machine.travel(moment, tick=False):
            replies.sweep_replies()
    [note] = [m for m in mail.outbox if "No response" in m.subject]
    assert note.to == ["olga@tracker.example.org"]  # the pledge's owner
    assert "did not respond by 15 June 2021" in note.body
    request.refresh_from_db()
    with time_machine.travel(la(2021, 6, 16, 9), tick=False):
        assert request.state == ReplyRequest.State.EXPIRED
    assert Notification.objects.filter(kind="reply_lapsed").count() == 1


def test_the_sweep_task_runs_the_reply_sweep(ask, committed):
    from commitments.domain.tasks import sweep_deadlines

    ask()
    with committed(), time_machine.travel(la(2021, 6, 16, 9), tick=False):
        result = sweep_deadlines()
    assert result["replies"] == {"reminded": 0, "lapsed": 1}
