"""The pledge vocabulary: validation, and what "overdue" means on the tracker's calendar."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from commitments.models import Pledge, PledgeEvent
from tests.factories import DisbursementFactory, PledgeFactory

LA = ZoneInfo("America/Los_Angeles")


def errors_of(pledge):
    with pytest.raises(ValidationError) as caught:
        pledge.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
class TestValidation:
    def test_a_deadline_before_the_announcement_is_refused(self):
        pledge = PledgeFactory.build(
            announced_on=dt.date(2020, 6, 10), deadline=dt.date(2020, 6, 9), company=None
        )
        assert errors_of(pledge)["deadline"] == [
            "The deadline cannot be before the day the pledge was announced."
        ]

    def test_negative_amounts_are_refused(self, company):
        pledge = PledgeFactory.build(company=company, amount_pledged=Decimal("-1"), currency="USD")
        assert "amount_pledged" in errors_of(pledge)

    def test_lowering_the_pledge_below_confirmed_payments_needs_an_explicit_tick(self, company):
        pledge = PledgeFactory(company=company, amount_pledged=Decimal("20"), currency="USD")
        DisbursementFactory(pledge=pledge, amount=Decimal("11"))
        pledge.amount_pledged = Decimal("10")
        assert "amount_pledged" in errors_of(pledge)
        pledge.delivered_may_exceed_pledged = True
        pledge.full_clean()

    def test_the_currency_cannot_change_under_recorded_payments(self, company):
        pledge = PledgeFactory(company=company, amount_pledged=Decimal("20"), currency="USD")
        DisbursementFactory(pledge=pledge, amount=Decimal("5"))
        pledge.currency = "EUR"
        assert "currency" in errors_of(pledge)

    def test_amounts_need_a_currency(self, company):
        pledge = PledgeFactory.build(company=company, amount_pledged=Decimal("10"))
        assert errors_of(pledge)["currency"] == ["Give the currency of the amounts, e.g. USD."]

    def test_titles_are_limited_in_length(self, company):
        pledge = PledgeFactory.build(company=company, title="x" * 201)
        assert "title" in errors_of(pledge)

    def test_control_characters_are_refused(self, company):
        pledge = PledgeFactory.build(company=company, title="Hidden\x1b[31m text")
        assert "title" in errors_of(pledge)

    def test_saving_creates_one_announced_event_that_follows_the_date(self, company):
        pledge = PledgeFactory(company=company, announced_on=dt.date(2020, 6, 10))
        pledge.announced_on = dt.date(2020, 6, 11)
        pledge.save()
        events = list(pledge.events.values_list("kind", "occurred_on"))
        assert events == [(PledgeEvent.Kind.ANNOUNCED, dt.date(2020, 6, 11))]


@pytest.mark.django_db
class TestOverdue:
    def test_a_pledge_is_not_overdue_on_its_deadline_day(self, pledge):
        # 23:59 in Los Angeles on the deadline day is already the next day in UTC.
        with time_machine.travel(dt.datetime(2021, 6, 10, 23, 59, tzinfo=LA), tick=False):
            assert list(Pledge.objects.overdue()) == []
            assert not pledge.is_overdue

    def test_a_pledge_is_overdue_once_its_day_ends_in_the_tracker_zone(self, pledge):
        with time_machine.travel(dt.datetime(2021, 6, 11, 0, 0, tzinfo=LA), tick=False):
            assert list(Pledge.objects.overdue()) == [pledge]
            assert pledge.is_overdue
            assert pledge.days_overdue == 1

    def test_the_day_boundary_follows_the_configured_zone(self, pledge, settings):
        settings.TRACKER_TIME_ZONE = "Europe/Berlin"
        # 07:00 UTC on 11 June is after midnight in Berlin but not in Los Angeles.
        with time_machine.travel(dt.datetime(2021, 6, 10, 22, 30, tzinfo=dt.UTC), tick=False):
            assert list(Pledge.objects.overdue()) == [pledge]

    def test_a_final_verdict_is_never_overdue(self, pledge):
        Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.KEPT)
        with time_machine.travel(dt.datetime(2022, 1, 1, tzinfo=LA)):
            assert list(Pledge.objects.overdue()) == []

    def test_no_deadline_is_never_overdue(self, company):
        PledgeFactory(company=company, deadline=None)
        assert list(Pledge.objects.overdue()) == []

    def test_awaiting_verdict_lists_published_overdue_pledges_oldest_first(self, company):
        newer = PledgeFactory(company=company, deadline=dt.date(2021, 6, 10))
        older = PledgeFactory(company=company, deadline=dt.date(2021, 1, 10))
        PledgeFactory(company=company, deadline=dt.date(2021, 1, 1), is_published=False)
        with time_machine.travel(dt.datetime(2022, 1, 1, tzinfo=LA)):
            assert list(Pledge.objects.awaiting_verdict()) == [older, newer]

    def test_upcoming_includes_today_and_excludes_past_deadlines(self, company):
        today = PledgeFactory(company=company, deadline=dt.date(2021, 6, 10))
        PledgeFactory(company=company, deadline=dt.date(2021, 6, 9))
        later = PledgeFactory(company=company, deadline=dt.date(2021, 9, 1))
        with time_machine.travel(dt.datetime(2021, 6, 10, 12, tzinfo=LA)):
            assert list(Pledge.objects.upcoming(days=90)) == [today, later]
            assert list(Pledge.objects.upcoming(days=30)) == [today]
