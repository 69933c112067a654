"""Admin pages cost the same number of queries for 5 rows as for 500."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.admin.pledges import PledgeAdmin
from commitments.admin.queue import AwaitingVerdictAdmin
from commitments.models import Company, Pledge, PledgeEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PLEDGES = "admin:commitments_pledge_changelist"
QUEUE = "admin:commitments_pledgeawaitingverdict_changelist"


def make_pledges(n, prefix, company=None):
    """n published, overdue pledges with an event each; own company and varied owners."""
    owners = [UserFactory(username=f"{prefix}-owner{i}") for i in range(min(n, 5))]
    companies = (
        [company]
        if company
        else Company.objects.bulk_create(
            Company(name=f"{prefix} company {i}", slug=f"{prefix}-company-{i}") for i in range(n)
        )
    )
    pledges = Pledge.objects.bulk_create(
        Pledge(
            company=companies[i % len(companies)],
            owner=owners[i % len(owners)],
            title=f"{prefix} pledge {i}",
            slug=f"{prefix}-pledge-{i}",
            success_criteria="Criteria.",
            announced_on=dt.date(2020, 1, 1),
            deadline=dt.date(2021, 1, 1) + dt.timedelta(days=i % 300),
            is_published=True,
            amount_pledged=1000 if i % 2 else None,
            currency="USD" if i % 2 else "",
        )
        for i in range(n)
    )
    PledgeEvent.objects.bulk_create(
        PledgeEvent(pledge=p, kind=PledgeEvent.Kind.ANNOUNCED, occurred_on=p.announced_on)
        for p in pledges
    )


def count_queries(client, url):
    client.get(url)  # warm the process-wide caches (content types) first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture(autouse=True)
def _every_row_on_one_page(monkeypatch, time_machine):
    time_machine.move_to(dt.datetime(2022, 6, 1, 20, 0, tzinfo=dt.UTC), tick=False)
    monkeypatch.setattr(PledgeAdmin, "list_per_page", 1000)
    monkeypatch.setattr(AwaitingVerdictAdmin, "list_per_page", 1000)


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        (PLEDGES, ""),
        (QUEUE, ""),
        # The search box and a date filter: every pledge here is titled "… pledge …".
        (PLEDGES, "?q=pledge"),
        (QUEUE, "?q=pledge"),
        (PLEDGES, "?announced_on__gte=2019-01-01&announced_on__lt=2021-01-01"),
    ],
)
def test_the_list_costs_the_same_for_5_and_500_pledges(reviewer_client, url_name, query):
    make_pledges(5, "a")
    small, response = count_queries(reviewer_client, reverse(url_name) + query)
    assert len(response.context["cl"].result_list) == 5

    make_pledges(495, "b")
    large, response = count_queries(reviewer_client, reverse(url_name) + query)
    assert len(response.context["cl"].result_list) == 500
    print(f"{url_name}{query}: {small} queries for 5 rows, {large} for 500")
    assert large == small


def test_a_companys_page_costs_the_same_for_5_and_500_pledges(reviewer_client):
    small_company = Company.objects.create(name="Small", slug="small")
    make_pledges(5, "s", company=small_company)
    big_company = Company.objects.create(name="Big", slug="big")
    make_pledges(500, "b", company=big_company)

    small, _ = count_queries(
        reviewer_client, reverse("admin:commitments_company_change", args=[small_company.pk])
    )
    large, _ = count_queries(
        reviewer_client, reverse("admin:commitments_company_change", args=[big_company.pk])
    )
    print(f"company page: {small} queries for 5 pledges, {large} for 500")
    assert large == small
