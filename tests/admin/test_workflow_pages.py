"""Recording verdicts and moving deadlines through the admin pages."""

import datetime as dt

import pytest
from django.urls import reverse

from commitments.domain import workflow
from commitments.models import Pledge, PledgeEvent, Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

# The day after the pledge fixture's deadline (2021-06-10), in Los Angeles.
AFTER_DEADLINE = dt.datetime(2021, 6, 20, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _after_the_deadline(time_machine):
    time_machine.move_to(AFTER_DEADLINE, tick=False)


def workflow_events(pledge):
    return list(pledge.events.exclude(kind=PledgeEvent.Kind.ANNOUNCED))


def verdict_url(pledge):
    return reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk])


def deadline_url(pledge):
    return reverse("admin:commitments_pledge_move_deadline", args=[pledge.pk])


def verdict_post(pledge, **overrides):
    data = {
        "version": pledge.version,
        "status": Pledge.Status.KEPT,
        "rationale": "No police force used Rekognition during the year.",
        "effective_on": "2021-06-15",
        "new_source_url": "",
        "new_source_title": "",
        "new_source_publisher": "",
        "new_source_published_on": "",
    }
    data.update(overrides)
    return data


class TestRecordVerdictPage:
    def test_the_page_shows_the_success_criteria_and_only_this_pledges_sources(
        self, reviewer_client, pledge
    ):
        own = SourceFactory(pledge=pledge, title="Own story")
        SourceFactory(title="Someone else's story")
        response = reviewer_client.get(verdict_url(pledge))
        assert response.status_code == 200
        assert pledge.success_criteria in response.text
        assert list(response.context["form"].fields["existing_sources"].queryset) == [own]
        assert "Someone else" not in response.text

    def test_a_verdict_with_an_existing_source_writes_one_event(
        self, reviewer_client, reviewer, pledge
    ):
        source = SourceFactory(pledge=pledge)
        response = reviewer_client.post(
            verdict_url(pledge), verdict_post(pledge, existing_sources=[source.pk])
        )
        assert response.status_code == 302
        pledge.refresh_from_db()
        assert pledge.status == Pledge.Status.KEPT
        [event] = workflow_events(pledge)
        assert (event.new_status, event.occurred_on, event.recorded_by) == (
            "kept",
            dt.date(2021, 6, 15),
            reviewer,
        )
        assert list(event.sources.all()) == [source]

    def test_a_new_source_is_created_and_cited_in_the_same_step(self, reviewer_client, pledge):
        response = reviewer_client.post(
            verdict_url(pledge),
            verdict_post(
                pledge,
                status=Pledge.Status.BROKEN,
                new_source_url="https://news.example.com/rekognition-used",
                new_source_title="Police used Rekognition after all",
                new_source_publisher="Example News",
                new_source_published_on="2021-06-14",
            ),
        )
        assert response.status_code == 302
        [event] = workflow_events(pledge)
        [source] = event.sources.all()
        assert (source.pledge, source.title) == (pledge, "Police used Rekognition after all")

    def test_a_final_verdict_without_sources_is_refused_next_to_the_field(
        self, reviewer_client, pledge
    ):
        response = reviewer_client.post(verdict_url(pledge), verdict_post(pledge))
        assert response.status_code == 200
        assert response.context["form"].errors["existing_sources"] == [
            "A final verdict (kept, partially kept, broken) needs at least one source."
        ]
        assert "Nothing was saved" in response.text
        assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.NOT_YET_RATED
        assert workflow_events(pledge) == []

    def test_every_mistake_is_shown_at_once(self, reviewer_client, pledge):
        response = reviewer_client.post(
            verdict_url(pledge),
            verdict_post(pledge, rationale="", new_source_title="Title without an address"),
        )
        errors = response.context["form"].errors
        assert sorted(errors) == ["new_source_url", "rationale"]
        response = reviewer_client.post(verdict_url(pledge), verdict_post(pledge, rationale=""))
        assert sorted(response.context["form"].errors) == ["existing_sources", "rationale"]

    def test_a_refused_verdict_leaves_no_orphan_new_source(self, reviewer_client, pledge):
        workflow.record_verdict(
            pledge, status=Pledge.Status.STALLED, rationale="No news.", actor=None
        )
        response = reviewer_client.post(
            verdict_url(pledge),
            verdict_post(
                Pledge.objects.get(pk=pledge.pk),
                status=Pledge.Status.STALLED,
                rationale="No news.",
                new_source_url="https://news.example.com/nothing",
                new_source_title="Nothing new",
            ),
        )
        assert response.status_code == 200
        assert "Give a new rationale" in str(response.context["form"].errors["rationale"])
        assert not Source.objects.filter(url="https://news.example.com/nothing").exists()
        assert len(workflow_events(pledge)) == 1

    def test_the_rationale_is_required(self, reviewer_client, pledge):
        response = reviewer_client.post(
            verdict_url(pledge), verdict_post(pledge, status="in_progress", rationale="   ")
        )
        assert response.context["form"].errors["rationale"] == ["This field is required."]
        assert workflow_events(pledge) == []

    def test_another_pledges_source_cannot_be_ticked(self, reviewer_client, pledge):
        stranger = SourceFactory()
        response = reviewer_client.post(
            verdict_url(pledge), verdict_post(pledge, existing_sources=[stranger.pk])
        )
        assert "existing_sources" in response.context["form"].errors
        assert workflow_events(pledge) == []

    def test_a_future_effective_date_is_refused(self, reviewer_client, pledge):
        source = SourceFactory(pledge=pledge)
        response = reviewer_client.post(
            verdict_url(pledge),
            verdict_post(pledge, existing_sources=[source.pk], effective_on="2030-01-01"),
        )
        assert response.context["form"].errors["effective_on"] == [
            "The effective date cannot be in the future."
        ]

    def test_a_conflicting_save_is_refused_with_a_clear_message(
        self, reviewer_client, superuser, pledge
    ):
        opened = reviewer_client.get(verdict_url(pledge))
        opened_version = opened.context["form"]["version"].value()
        # Meanwhile a colleague rules first.
        workflow.record_verdict(
            pledge, status=Pledge.Status.STALLED, rationale="Nothing heard.", actor=superuser
        )
        response = reviewer_client.post(
            verdict_url(pledge),
            verdict_post(pledge, version=opened_version, status="in_progress", rationale="Mine."),
        )
        assert response.status_code == 200
        assert "This pledge changed since you opened it" in response.text
        assert "It is now “Stalled”" in response.text
        assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.STALLED
        assert [e.rationale for e in workflow_events(pledge)] == ["Nothing heard."]
        # The reopened form carries the current version: submitting again is a conscious choice.
        assert response.context["form"]["version"].value() == str(opened_version + 1)

    def test_success_returns_to_the_queue_when_it_came_from_there(self, reviewer_client, pledge):
        queue = reverse("admin:commitments_pledgeawaitingverdict_changelist")
        response = reviewer_client.post(
            f"{verdict_url(pledge)}?next={queue}",
            verdict_post(pledge, status="in_progress", rationale="Under way."),
        )
        assert response["Location"] == queue

    def test_an_offsite_next_is_ignored(self, reviewer_client, pledge):
        response = reviewer_client.post(
            f"{verdict_url(pledge)}?next=https://evil.example.com/",
            verdict_post(pledge, status="in_progress", rationale="Under way."),
        )
        assert response["Location"] == reverse("admin:commitments_pledge_change", args=[pledge.pk])


def deadline_post(pledge, **overrides):
    data = {
        "version": pledge.version,
        "new_deadline": "2022-06-10",
        "rationale": "Amazon extended the moratorium by a year.",
        "effective_on": "2021-06-09",
        "new_source_url": "https://news.example.com/extended",
        "new_source_title": "Amazon extends moratorium",
    }
    data.update(overrides)
    return data


class TestMoveDeadlinePage:
    def test_moving_the_deadline_writes_one_event_with_both_dates_and_the_source(
        self, editor_client, editor, pledge
    ):
        response = editor_client.post(deadline_url(pledge), deadline_post(pledge))
        assert response.status_code == 302
        pledge.refresh_from_db()
        assert pledge.deadline == dt.date(2022, 6, 10)
        [event] = workflow_events(pledge)
        assert (event.old_deadline, event.new_deadline, event.recorded_by) == (
            dt.date(2021, 6, 10),
            dt.date(2022, 6, 10),
            editor,
        )
        assert [s.title for s in event.sources.all()] == ["Amazon extends moratorium"]

    def test_a_deadline_can_be_made_indefinite_citing_an_existing_source(
        self, editor_client, pledge
    ):
        source = SourceFactory(pledge=pledge)
        response = editor_client.post(
            deadline_url(pledge),
            deadline_post(
                pledge,
                new_deadline="",
                indefinite="on",
                existing_source=source.pk,
                new_source_url="",
                new_source_title="",
            ),
        )
        assert response.status_code == 302
        assert Pledge.objects.get(pk=pledge.pk).deadline is None
        [event] = workflow_events(pledge)
        assert list(event.sources.all()) == [source]

    def test_a_move_needs_a_date_or_no_end_date(self, editor_client, pledge):
        response = editor_client.post(deadline_url(pledge), deadline_post(pledge, new_deadline=""))
        assert response.context["form"].errors["new_deadline"] == [
            "Give the new deadline, or tick “no end date”."
        ]
        assert workflow_events(pledge) == []

    def test_a_move_needs_a_source(self, editor_client, pledge):
        response = editor_client.post(
            deadline_url(pledge), deadline_post(pledge, new_source_url="", new_source_title="")
        )
        assert "existing_source" in response.context["form"].errors
        assert Pledge.objects.get(pk=pledge.pk).deadline == dt.date(2021, 6, 10)

    def test_a_date_before_the_announcement_is_shown_next_to_the_date(self, editor_client, pledge):
        response = editor_client.post(
            deadline_url(pledge), deadline_post(pledge, new_deadline="2019-01-01")
        )
        assert response.context["form"].errors["new_deadline"] == [
            "The deadline cannot be before the day the pledge was announced."
        ]
        assert not Source.objects.filter(url="https://news.example.com/extended").exists()

    def test_the_pledge_page_says_how_often_the_deadline_moved(self, editor_client, pledge):
        editor_client.post(deadline_url(pledge), deadline_post(pledge))
        pledge.refresh_from_db()
        editor_client.post(
            deadline_url(pledge),
            deadline_post(
                pledge,
                new_deadline="2023-06-10",
                new_source_url="https://news.example.com/again",
                new_source_title="Again",
            ),
        )
        response = editor_client.get(reverse("admin:commitments_pledge_change", args=[pledge.pk]))
        assert "moved 2 times" in response.text


def test_the_change_form_cannot_change_status_or_deadline(editor_client, pledge):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    response = editor_client.post(
        url,
        {
            "company": pledge.company.pk,
            "title": "Retitled",
            "slug": pledge.slug,
            "success_criteria": pledge.success_criteria,
            "summary": pledge.summary,
            "category": pledge.category,
            "announced_on": "2020-06-10",
            "status": "kept",
            "deadline": "2030-01-01",
            "version": 99,
            "sources-TOTAL_FORMS": 0,
            "disbursements-TOTAL_FORMS": 0,
            "disbursements-INITIAL_FORMS": 0,
            "sources-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status, pledge.deadline, pledge.version) == (
        "Retitled",
        "not_yet_rated",
        dt.date(2021, 6, 10),
        1,
    )


def test_the_add_form_accepts_an_initial_deadline(editor_client, editor, company):
    response = editor_client.post(
        reverse("admin:commitments_pledge_add"),
        {
            "company": company.pk,
            "title": "Net zero by 2040",
            "slug": "",
            "success_criteria": "Scope 1-3 emissions net zero.",
            "summary": "",
            "category": "other",
            "announced_on": "2019-09-19",
            "deadline": "2040-12-31",
            "sources-TOTAL_FORMS": 0,
            "disbursements-TOTAL_FORMS": 0,
            "disbursements-INITIAL_FORMS": 0,
            "sources-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    pledge = Pledge.objects.get(title="Net zero by 2040")
    assert (pledge.deadline, pledge.slug, pledge.created_by) == (
        dt.date(2040, 12, 31),
        "amazon-net-zero-by-2040",
        editor,
    )
