"""Every change to companies, pledges and sources is in the history: who, when, what."""

import datetime as dt

import pytest
from django.urls import reverse

from commitments.models import Pledge, Source
from tests.factories import PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:commitments_pledge_changelist"


def change_form_data(pledge, **overrides):
    data = {
        "company": pledge.company.pk,
        "title": pledge.title,
        "slug": pledge.slug,
        "success_criteria": pledge.success_criteria,
        "summary": pledge.summary,
        "category": pledge.category,
        "announced_on": pledge.announced_on.isoformat(),
        "is_published": "on",
        "sources-TOTAL_FORMS": 0,
        "disbursements-TOTAL_FORMS": 0,
        "disbursements-INITIAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return data


def test_an_edit_records_who_changed_which_fields(editor_client, editor, pledge):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    editor_client.post(url, change_form_data(pledge, title="Moratorium, renamed"))

    latest, previous = pledge.history.all()[:2]
    assert latest.history_user == editor
    assert latest.history_type == "~"
    assert [change.field for change in latest.diff_against(previous).changes] == ["title"]


def test_the_admin_history_page_lists_the_change_and_its_author(editor_client, pledge):
    editor_client.post(
        reverse("admin:commitments_pledge_change", args=[pledge.pk]),
        change_form_data(pledge, title="Moratorium, renamed"),
    )
    response = editor_client.get(reverse("admin:commitments_pledge_history", args=[pledge.pk]))
    assert response.status_code == 200
    assert "edna" in response.text
    assert "Moratorium, renamed" in response.text


def test_a_verdict_is_in_the_history_with_its_reviewer_and_reason(
    reviewer_client, reviewer, pledge, time_machine
):
    time_machine.move_to(dt.datetime(2021, 6, 20, 20, 0, tzinfo=dt.UTC), tick=False)
    reviewer_client.post(
        reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
        {
            "version": 1,
            "status": "broken",
            "rationale": "Police used it.",
            "effective_on": "2021-06-15",
            "new_source_url": "https://news.example.com/used",
            "new_source_title": "Police used it",
        },
    )
    latest = pledge.history.order_by("-history_id").first()
    assert (latest.history_user, latest.status, latest.history_change_reason) == (
        reviewer,
        "broken",
        "Verdict: Broken",
    )
    source_history = Source.history.get(url="https://news.example.com/used")
    assert (source_history.history_user, source_history.history_type) == (reviewer, "+")


def test_bulk_publish_writes_one_history_record_per_changed_pledge(editor_client, editor, company):
    drafts = PledgeFactory.create_batch(2, company=company, is_published=False)
    already = PledgeFactory(company=company, is_published=True)
    response = editor_client.post(
        reverse(CHANGELIST),
        {"action": "publish_selected", "_selected_action": [p.pk for p in [*drafts, already]]},
    )
    assert response.status_code == 302
    for draft in drafts:
        latest = draft.history.order_by("-history_id").first()
        assert (latest.history_user, latest.is_published, latest.history_change_reason) == (
            editor,
            True,
            "Published (bulk)",
        )
    assert already.history.count() == 1  # unchanged, so no noise in its history


def test_bulk_assign_owner_asks_for_the_owner_then_records_it(editor_client, editor, company):
    pledges = PledgeFactory.create_batch(2, company=company)
    olivia = UserFactory(username="olivia")
    selection = {"action": "assign_owner", "_selected_action": [p.pk for p in pledges]}

    confirm_page = editor_client.post(reverse(CHANGELIST), selection)
    assert confirm_page.status_code == 200
    assert "Choose who will rule" in confirm_page.text

    editor_client.post(reverse(CHANGELIST), {**selection, "apply": "1", "owner": olivia.pk})
    for pledge in pledges:
        pledge.refresh_from_db()
        latest = pledge.history.order_by("-history_id").first()
        assert (pledge.owner, latest.history_user, latest.owner_id) == (olivia, editor, olivia.pk)


def test_a_history_revert_cannot_undo_a_verdict(superuser_client, superuser, pledge):
    from commitments.domain import workflow

    first_version = pledge.history.earliest()
    workflow.record_verdict(pledge, status="stalled", rationale="Quiet.", actor=superuser)
    url = reverse(
        "admin:commitments_pledge_simple_history",
        args=[pledge.pk, first_version.history_id],
    )
    superuser_client.post(url, change_form_data(pledge, title="Reverted title"))
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status, pledge.version) == ("Reverted title", "stalled", 2)
    assert Pledge.objects.get(pk=pledge.pk).status == "stalled"


def test_the_history_reads_as_staff_speak_labels_local_time_and_no_none(
    reviewer_client, reviewer, pledge, time_machine
):
    # After the pledge was created: history rows are compared in time order.
    time_machine.move_to(dt.datetime(2027, 6, 20, 20, 0, tzinfo=dt.UTC), tick=False)
    reviewer_client.force_login(reviewer)
    reviewer_client.post(
        reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
        {
            "version": 1,
            "status": "kept",
            "rationale": "Kept, per the report.",
            "effective_on": "2027-06-20",
            "new_source_url": "https://news.example.com/report",
            "new_source_title": "Report",
        },
    )
    html = reviewer_client.get(
        reverse("admin:commitments_pledge_history", args=[pledge.pk])
    ).content.decode()
    assert "Status:</strong> Not yet rated &rarr; Kept" in html
    assert "not_yet_rated" not in html
    assert "20 June 2027, 13:00 PDT" in html  # 20:00 UTC in the tracker's zone
    assert "None" not in html
    assert "Source added: Report" in html
