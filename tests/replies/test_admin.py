"""The right of reply in the staff admin: contacts, asking, judging replies, the queue."""

import datetime as dt

import pytest
from django.core import mail

from commitments.domain import replies, workflow
from commitments.models import CompanyContact, PledgeEvent, Reply, ReplyRequest, Status
from tests.factories import ReplyFactory, ReplyRequestFactory, SourceFactory
from tests.replies.conftest import TODAY, reply_path


def test_editors_add_contacts_on_the_company_page_and_who_added_them_is_kept(
    editor_client, editor, company
):
    url = f"/admin/commitments/company/{company.pk}/change/"
    page = editor_client.get(url)
    assert "never shown publicly" in page.content.decode()
    data = {
        "name": company.name,
        "slug": company.slug,
        "website": "",
        "description": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Jay Carney",
        "contacts-0-role": "SVP Policy",
        "contacts-0-email": "jay@amazon.example",
        "pledges-TOTAL_FORMS": "0",
        "pledges-INITIAL_FORMS": "0",
    }
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = CompanyContact.objects.get()
    assert (contact.email, contact.added_by) == ("jay@amazon.example", editor)


def test_the_ask_page_is_prefilled_and_sends_the_request(
    editor_client, asked_pledge, contact, committed
):
    url = f"/admin/commitments/pledge/{asked_pledge.pk}/ask/"
    page = editor_client.get(url).content.decode()
    assert "Jay Carney" in page
    assert "2021-06-15" in page  # today + TRACKER_REPLY_DAYS
    assert "https://news.example.com/a" in page  # the evidence, in the question
    with committed():
        response = editor_client.post(
            url,
            {"contacts": [contact.pk], "question": "Kept or not?", "reply_by": "2021-06-20"},
        )
    assert response.status_code == 302
    request = ReplyRequest.objects.get()
    assert (request.question, request.reply_by) == ("Kept or not?", dt.date(2021, 6, 20))
    [message] = mail.outbox
    assert message.to == ["jay@amazon.example"]
    pledge_page = editor_client.get(response["Location"]).content.decode()
    assert "Requests for comment" in pledge_page
    assert "Sent" in pledge_page


def test_the_ask_page_refuses_a_past_date_and_says_when_there_is_nobody_to_ask(
    editor_client, asked_pledge
):
    url = f"/admin/commitments/pledge/{asked_pledge.pk}/ask/"
    assert "has no contacts yet" in editor_client.get(url).content.decode()
    response = editor_client.post(url, {"question": "Q", "reply_by": "2021-05-01"})
    html = response.content.decode()
    assert "Choose at least one contact" in html
    assert "cannot be in the past" in html
    assert not ReplyRequest.objects.exists()


def test_a_reviewer_publishes_a_reply_into_the_pledge_history(
    reviewer_client, reviewer, asked_pledge
):
    reply = ReplyFactory(request=ReplyRequestFactory(pledge=asked_pledge))
    base = f"/admin/commitments/replyrequest/{reply.request.pk}/"
    page = reviewer_client.get(base + "change/").content.decode()
    assert "Publish the reply" in page
    assert "We kept it" in page
    assert reviewer_client.post(base + "publish/").status_code == 302
    reply.refresh_from_db()
    assert reply.is_published
    assert reply.published_by == reviewer
    event = reply.event
    assert (event.kind, event.rationale) == (PledgeEvent.Kind.COMPANY_REPLY, reply.body)
    assert "published" in reviewer_client.get(base + "change/").content.decode()


def test_editors_cannot_publish(editor_client, asked_pledge):
    reply = ReplyFactory(request=ReplyRequestFactory(pledge=asked_pledge))
    base = f"/admin/commitments/replyrequest/{reply.request.pk}/"
    assert "Publish the reply" not in editor_client.get(base + "change/").content.decode()
    assert editor_client.post(base + "publish/").status_code == 403
    assert not Reply.objects.get().is_published


def test_withholding_needs_a_reason_and_withdraws_a_published_reply_as_a_correction(
    reviewer_client, reviewer, asked_pledge
):
    reply = ReplyFactory(request=ReplyRequestFactory(pledge=asked_pledge))
    replies.publish_reply(reply, actor=reviewer)
    base = f"/admin/commitments/replyrequest/{reply.request.pk}/withhold/"
    assert "This field is required" in reviewer_client.post(base, {"reason": ""}).content.decode()
    assert reviewer_client.post(base, {"reason": "Defamatory of a third party."}).status_code == 302
    reply.refresh_from_db()
    assert (reply.withheld_reason, reply.withheld_by, reply.event) == (
        "Defamatory of a third party.",
        reviewer,
        None,
    )
    # Readers saw it: the history says it was taken back, without the staff's reason.
    assert not PledgeEvent.objects.current().filter(kind=PledgeEvent.Kind.COMPANY_REPLY).exists()
    [withdrawn] = PledgeEvent.objects.withdrawn().filter(kind=PledgeEvent.Kind.COMPANY_REPLY)
    corrections = reviewer_client.get("/corrections/").content.decode()
    assert "took the company&#x27;s reply off the record" in corrections
    assert "Defamatory" not in corrections
    assert "Defamatory" not in reviewer_client.get(asked_pledge.get_absolute_url()).content.decode()
    assert withdrawn.pledge == asked_pledge


def test_formatting_may_change_but_never_the_words_and_the_original_is_kept(
    reviewer_client, reviewer, asked_pledge
):
    reply = ReplyFactory(
        request=ReplyRequestFactory(pledge=asked_pledge), body="We kept it. See the report."
    )
    replies.publish_reply(reply, actor=reviewer)
    url = f"/admin/commitments/replyrequest/{reply.request.pk}/formatting/"
    refused = reviewer_client.post(url, {"body": "We did not keep it. See the report."})
    assert "the words must stay exactly" in refused.content.decode()
    assert (
        reviewer_client.post(url, {"body": "We **kept** it.\n\nSee the report."}).status_code == 302
    )
    reply.refresh_from_db()
    assert reply.edited
    assert reply.original_body == "We kept it. See the report."
    assert reply.event.rationale == "We **kept** it.\n\nSee the report."


def test_a_final_verdict_while_a_request_is_open_needs_record_anyway_and_a_reason(
    reviewer_client, reviewer, asked_pledge
):
    request = ReplyRequestFactory(pledge=asked_pledge, reply_by=TODAY + dt.timedelta(days=5))
    source = SourceFactory(pledge=asked_pledge)
    url = f"/admin/commitments/pledge/{asked_pledge.pk}/verdict/"
    data = {
        "version": asked_pledge.version,
        "status": "broken",
        "rationale": "The deadline passed without it.",
        "existing_sources": [source.pk],
        "effective_on": "2021-06-01",
    }
    page = reviewer_client.get(url).content.decode()
    assert "Record anyway" in page
    refused = reviewer_client.post(url, data).content.decode()
    assert "6 June 2021 to reply" in refused
    refused = reviewer_client.post(url, {**data, "record_anyway": "on"}).content.decode()
    assert "Say why the verdict cannot wait" in refused
    asked_pledge.refresh_from_db()
    assert asked_pledge.status == Status.NOT_YET_RATED
    done = reviewer_client.post(
        url, {**data, "record_anyway": "on", "reply_anyway_reason": "Court ruling today."}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert (request.verdict_anyway_reason, request.verdict_anyway_by) == (
        "Court ruling today.",
        reviewer,
    )


def test_the_workflow_itself_refuses_a_final_verdict_over_an_open_request(reviewer, asked_pledge):
    from django.core.exceptions import ValidationError

    ReplyRequestFactory(pledge=asked_pledge, reply_by=TODAY)
    source = SourceFactory(pledge=asked_pledge)
    with pytest.raises(ValidationError) as error:
        workflow.record_verdict(
            asked_pledge, status="kept", rationale="Done.", sources=[source], actor=reviewer
        )
    assert "reply_anyway_reason" in error.value.message_dict
    # A verdict that is not final, or a request that lapsed, asks nothing.
    workflow.record_verdict(asked_pledge, status="in_progress", rationale="Going.", actor=reviewer)


def test_the_awaiting_verdict_queue_shows_a_pending_reply(reviewer_client, asked_pledge):
    type(asked_pledge).objects.filter(pk=asked_pledge.pk).update(deadline=dt.date(2021, 5, 20))
    url = "/admin/commitments/pledgeawaitingverdict/"
    assert "Rekognition" in reviewer_client.get(url).content.decode()
    assert "reply pending" not in reviewer_client.get(url).content.decode()
    request = ReplyRequestFactory(pledge=asked_pledge, reply_by=TODAY + dt.timedelta(days=3))
    assert "reply pending" in reviewer_client.get(url).content.decode()
    ReplyFactory(request=request)
    ReplyRequest.objects.filter(pk=request.pk).update(answered_at="2021-06-01T12:00Z")
    assert "reply in: publish or withhold" in reviewer_client.get(url).content.decode()


def test_cancelling_from_the_request_page(editor_client, asked_pledge):
    request = ReplyRequestFactory(pledge=asked_pledge, reply_by=TODAY + dt.timedelta(days=3))
    base = f"/admin/commitments/replyrequest/{request.pk}/"
    assert "Cancel the request" in editor_client.get(base + "change/").content.decode()
    assert editor_client.post(base + "cancel/").status_code == 302
    request.refresh_from_db()
    assert request.state == ReplyRequest.State.CANCELLED


def test_the_request_page_offers_its_actions_not_a_save_button_that_does_nothing(
    editor_client, asked_pledge
):
    reply = ReplyFactory(request=ReplyRequestFactory(pledge=asked_pledge))
    page = editor_client.get(f"/admin/commitments/replyrequest/{reply.request.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert 'name="_continue"' not in page.content.decode()


def test_a_visited_link_reads_as_visited_not_as_read(editor_client, ask, client):
    # Mail security scanners fetch links as a message arrives: staff must not take a visit
    # for a person at the company having read the request.
    request, outbox = ask()
    client.get(reply_path(outbox[0]))
    base = f"/admin/commitments/replyrequest/{request.pk}/"

    page = editor_client.get(base + "change/").content.decode()
    listing = editor_client.get("/admin/commitments/replyrequest/").content.decode()

    assert "Link visited" in page
    assert "Link visited" in listing
    assert "Opened" not in page + listing
    assert "Link first visited" in page
    assert "does not show that someone at the company read the request" in page
