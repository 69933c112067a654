"""Recording a verdict or moving a deadline: one function, one event, one transaction."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commitments.domain import workflow
from commitments.models import Pledge, PledgeEvent
from tests.factories import SourceFactory, UserFactory


def workflow_events(pledge):
    return list(pledge.events.exclude(kind=PledgeEvent.Kind.ANNOUNCED))


@pytest.mark.django_db
class TestRecordVerdict:
    def test_it_updates_the_status_and_writes_exactly_one_event(self, pledge, superuser):
        source = SourceFactory(pledge=pledge)
        event = workflow.record_verdict(
            pledge,
            status=Pledge.Status.KEPT,
            rationale="No police force used Rekognition during the year.",
            sources=[source],
            effective_on=dt.date(2021, 6, 11),
            actor=superuser,
        )
        pledge.refresh_from_db()
        assert pledge.status == Pledge.Status.KEPT
        assert pledge.version == 2
        assert workflow_events(pledge) == [event]
        assert (event.old_status, event.new_status) == (Pledge.Status.NOT_YET_RATED, "kept")
        assert list(event.sources.all()) == [source]
        assert event.recorded_by == superuser

    def test_a_final_verdict_without_a_source_changes_nothing(self, pledge, superuser):
        with pytest.raises(ValidationError) as caught:
            workflow.record_verdict(
                pledge, status=Pledge.Status.BROKEN, rationale="Broken.", actor=superuser
            )
        assert "sources" in caught.value.message_dict
        pledge.refresh_from_db()
        assert pledge.status == Pledge.Status.NOT_YET_RATED
        assert workflow_events(pledge) == []

    def test_an_interim_rating_needs_no_source(self, pledge, superuser):
        workflow.record_verdict(
            pledge, status=Pledge.Status.IN_PROGRESS, rationale="Under way.", actor=superuser
        )
        assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.IN_PROGRESS

    def test_a_user_without_the_permission_is_refused(self, pledge):
        editor = UserFactory(username="editor")
        with pytest.raises(PermissionDenied):
            workflow.record_verdict(
                pledge, status=Pledge.Status.IN_PROGRESS, rationale="Under way.", actor=editor
            )
        assert workflow_events(pledge) == []

    def test_repeating_the_verdict_needs_a_new_rationale(self, pledge, superuser):
        workflow.record_verdict(
            pledge, status=Pledge.Status.STALLED, rationale="No news.", actor=superuser
        )
        with pytest.raises(ValidationError):
            workflow.record_verdict(
                pledge, status=Pledge.Status.STALLED, rationale="No news.", actor=superuser
            )
        workflow.record_verdict(
            pledge, status=Pledge.Status.STALLED, rationale="Still no news.", actor=superuser
        )
        assert len(workflow_events(pledge)) == 2

    def test_a_stale_version_is_refused(self, pledge, superuser):
        opened_at_version = pledge.version
        workflow.record_verdict(
            pledge, status=Pledge.Status.STALLED, rationale="First.", actor=superuser,
            expected_version=opened_at_version,
        )  # fmt: skip
        with pytest.raises(workflow.StaleEdit):
            workflow.record_verdict(
                pledge, status=Pledge.Status.IN_PROGRESS, rationale="Second.", actor=superuser,
                expected_version=opened_at_version,
            )  # fmt: skip
        assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.STALLED


@pytest.mark.django_db
class TestMoveDeadline:
    def test_it_records_old_and_new_dates_in_one_event(self, pledge, superuser):
        event = workflow.move_deadline(
            pledge, new_deadline=None, rationale="Extended until further notice.", actor=superuser
        )
        pledge.refresh_from_db()
        assert pledge.deadline is None
        assert workflow_events(pledge) == [event]
        assert (event.old_deadline, event.new_deadline) == (dt.date(2021, 6, 10), None)

    def test_moving_to_the_same_date_is_refused(self, pledge, superuser):
        with pytest.raises(ValidationError):
            workflow.move_deadline(
                pledge, new_deadline=pledge.deadline, rationale="Same.", actor=superuser
            )

    def test_a_deadline_before_the_announcement_is_refused(self, pledge, superuser):
        with pytest.raises(ValidationError) as caught:
            workflow.move_deadline(
                pledge, new_deadline=dt.date(2019, 1, 1), rationale="Oops.", actor=superuser
            )
        assert "new_deadline" in caught.value.message_dict
        assert workflow_events(pledge) == []
