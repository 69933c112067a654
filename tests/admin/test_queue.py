"""The "Awaiting verdict" queue: what is in it, in what order, and how to reach it."""

import datetime as dt

import pytest
from django.urls import reverse

from commitments.domain import workflow
from commitments.models import Pledge
from tests.factories import PledgeFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:commitments_pledgeawaitingverdict_changelist"
# 2021-06-10 ends in Los Angeles at 2021-06-11 07:00 UTC (PDT is UTC-7).
LAST_MINUTE_OF_DEADLINE_DAY = dt.datetime(2021, 6, 11, 6, 59, tzinfo=dt.UTC)
FIRST_MINUTE_AFTER = dt.datetime(2021, 6, 11, 7, 0, tzinfo=dt.UTC)


def queue_titles(client):
    response = client.get(reverse(QUEUE))
    assert response.status_code == 200
    return [pledge.title for pledge in response.context["cl"].result_list]


def test_a_pledge_joins_the_queue_when_its_day_ends_in_the_trackers_zone(
    reviewer_client, pledge, time_machine
):
    time_machine.move_to(LAST_MINUTE_OF_DEADLINE_DAY, tick=False)
    assert queue_titles(reviewer_client) == []  # already 11 June in UTC, still 10 June in LA

    time_machine.move_to(FIRST_MINUTE_AFTER, tick=False)
    assert queue_titles(reviewer_client) == [pledge.title]


def test_the_queue_is_oldest_first_and_leaves_out_drafts_finals_and_open_ended(
    reviewer_client, company, superuser, time_machine
):
    time_machine.move_to(dt.datetime(2022, 1, 1, 20, 0, tzinfo=dt.UTC), tick=False)
    newer = PledgeFactory(company=company, title="Newer", deadline=dt.date(2021, 9, 1))
    older = PledgeFactory(company=company, title="Older", deadline=dt.date(2021, 3, 1))
    PledgeFactory(company=company, title="Draft", deadline=dt.date(2021, 1, 1), is_published=False)
    PledgeFactory(company=company, title="Open-ended", deadline=None)
    PledgeFactory(company=company, title="Not due yet", deadline=dt.date(2022, 6, 1))
    ruled = PledgeFactory(company=company, title="Ruled", deadline=dt.date(2021, 2, 1))
    workflow.record_verdict(
        ruled,
        status=Pledge.Status.KEPT,
        rationale="Done.",
        sources=[SourceFactory(pledge=ruled)],
        actor=superuser,
    )
    stalled = PledgeFactory(company=company, title="Stalled", deadline=dt.date(2021, 5, 1))
    workflow.record_verdict(stalled, status="stalled", rationale="Quiet.", actor=superuser)

    assert queue_titles(reviewer_client) == [older.title, stalled.title, newer.title]


def test_each_row_shows_owner_days_overdue_and_a_verdict_link(
    reviewer_client, pledge, time_machine
):
    time_machine.move_to(dt.datetime(2021, 7, 21, 20, 0, tzinfo=dt.UTC), tick=False)
    pledge.owner = UserFactory(username="olivia")
    pledge.save()
    text = reviewer_client.get(reverse(QUEUE)).text
    assert "olivia" in text
    assert "41 days" in text
    assert reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]) in text


def test_editors_see_the_queue_without_verdict_links(editor_client, pledge, time_machine):
    time_machine.move_to(dt.datetime(2021, 7, 21, 20, 0, tzinfo=dt.UTC), tick=False)
    text = editor_client.get(reverse(QUEUE)).text
    assert pledge.title in text
    assert reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]) not in text


def test_the_admin_index_shows_the_queue_and_its_count(reviewer_client, company, time_machine):
    time_machine.move_to(dt.datetime(2021, 7, 21, 20, 0, tzinfo=dt.UTC), tick=False)
    PledgeFactory.create_batch(3, company=company, deadline=dt.date(2021, 6, 1))
    response = reviewer_client.get(reverse("admin:index"))
    assert '<span class="count">3</span> published pledges' in response.text
    assert reverse(QUEUE) in response.text


def test_the_queue_is_read_only(reviewer_client, pledge):
    proxy_change = reverse("admin:commitments_pledgeawaitingverdict_add")
    assert reviewer_client.get(proxy_change).status_code == 403


def test_the_queue_can_be_searched(reviewer_client, company, time_machine):
    time_machine.move_to(dt.datetime(2021, 7, 21, 20, 0, tzinfo=dt.UTC), tick=False)
    PledgeFactory(company=company, title="Rekognition audit", deadline=dt.date(2021, 1, 2))
    PledgeFactory(company=company, title="Rekognition, not due", deadline=dt.date(2022, 1, 2))
    PledgeFactory(company=company, title="Other late pledge", deadline=dt.date(2021, 1, 3))
    response = reviewer_client.get(reverse(QUEUE), {"q": "rekognition"})
    assert [p.title for p in response.context["cl"].result_list] == ["Rekognition audit"]
