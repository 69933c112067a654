"""The pledge changelist and form as a reviewer reads them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from commitments.domain import workflow
from commitments.models import Pledge
from tests.factories import DisbursementFactory, PledgeFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:commitments_pledge_changelist"


@pytest.fixture(autouse=True)
def _summer_2021(time_machine):
    # 21 July 2021, early afternoon in Los Angeles.
    time_machine.move_to(dt.datetime(2021, 7, 21, 20, 0, tzinfo=dt.UTC), tick=False)


def row_text(client, pledge, **params):
    response = client.get(reverse(CHANGELIST), params)
    # Each row ends at its </tr>: the sidebar's "Today" date link is not the pledge "Today".
    rows = [chunk.split("</tr>")[0] for chunk in response.text.split("<tr")[1:]]
    [row] = [r for r in rows if f">{pledge.title}<" in r]
    return row


def test_deadline_badges_say_how_far_off_or_overdue(reviewer_client, company):
    soon = PledgeFactory(company=company, title="Soon", deadline=dt.date(2021, 8, 2))
    late = PledgeFactory(company=company, title="Late", deadline=dt.date(2021, 6, 10))
    today = PledgeFactory(company=company, title="Today", deadline=dt.date(2021, 7, 21))
    assert "in 12 days" in row_text(reviewer_client, soon)
    assert "overdue 41 days" in row_text(reviewer_client, late)
    assert "due today" in row_text(reviewer_client, today)


def test_a_ruled_pledge_is_not_called_overdue(reviewer_client, pledge, superuser):
    workflow.record_verdict(
        pledge,
        status=Pledge.Status.KEPT,
        rationale="Kept.",
        sources=[SourceFactory(pledge=pledge)],
        effective_on=dt.date(2021, 6, 15),
        actor=superuser,
    )
    row = row_text(reviewer_client, pledge)
    assert "overdue" not in row
    assert "closed" in row
    assert "June 15, 2021" in row  # last event date


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"overdue": "yes"}, ["Late draft", "Late published"]),
        ({"overdue": "no"}, ["Open-ended", "Future"]),
        ({"awaiting_verdict": "yes"}, ["Late published"]),
        ({"has_deadline": "no"}, ["Open-ended"]),
        ({"q": "rekognition"}, ["Future"]),
    ],
)
def test_filters_and_search(reviewer_client, company, params, expected):
    PledgeFactory(
        company=company, title="Late draft", deadline=dt.date(2021, 1, 1), is_published=False
    )
    PledgeFactory(company=company, title="Late published", deadline=dt.date(2021, 1, 2))
    PledgeFactory(company=company, title="Open-ended", deadline=None)
    PledgeFactory(
        company=company, title="Future", deadline=dt.date(2022, 1, 1), summary="About Rekognition."
    )
    response = reviewer_client.get(reverse(CHANGELIST), params)
    assert sorted(p.title for p in response.context["cl"].result_list) == sorted(expected)


def test_percent_delivered_is_shown_for_money_pledges(reviewer_client, company):
    money = PledgeFactory(
        company=company,
        title="Donate $10 million",
        amount_pledged=Decimal("10000000"),
        currency="USD",
    )
    DisbursementFactory(pledge=money, amount=Decimal("2500000"))
    assert "25.0%" in row_text(reviewer_client, money)
    change = reviewer_client.get(reverse("admin:commitments_pledge_change", args=[money.pk]))
    assert "25.0%" in change.text


def test_an_editor_can_find_an_owner_by_autocomplete(editor_client, pledge):
    UserFactory(username="olivia", first_name="Olivia")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "commitments", "model_name": "pledge", "field_name": "owner", "term": "oliv"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["olivia"]


def test_the_pledge_picker_pages_through_search_results_without_repeats(editor_client, company):
    for n in range(25):
        PledgeFactory(company=company, title=f"Rekognition step {n:02d}")
    query = {"app_label": "commitments", "model_name": "source", "field_name": "pledge"}
    pages = [
        editor_client.get(
            reverse("admin:autocomplete"), {**query, "term": "rekognition", "page": p}
        )
        for p in (1, 2)
    ]
    assert [page.status_code for page in pages] == [200, 200]
    first, second = ([r["id"] for r in page.json()["results"]] for page in pages)
    assert (len(first), len(second)) == (20, 5)
    assert len(set(first) | set(second)) == 25  # an ordered list: nothing twice, nothing lost


def test_the_change_page_links_to_both_workflow_pages_for_a_reviewer(reviewer_client, pledge):
    text = reviewer_client.get(reverse("admin:commitments_pledge_change", args=[pledge.pk])).text
    assert reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]) in text
    assert reverse("admin:commitments_pledge_move_deadline", args=[pledge.pk]) in text
    assert pledge.success_criteria in text


def test_a_slug_typed_in_the_admin_starts_with_the_company(superuser_client, company):
    from django.urls import reverse

    from commitments.models import Pledge

    response = superuser_client.post(
        reverse("admin:commitments_pledge_add"),
        {
            "company": company.pk,
            "title": "Will not sell facial recognition to police",
            "slug": "no-police-sales",
            "success_criteria": "No sales.",
            "category": "moratorium",
            "announced_on": "2020-06-11",
            "is_published": "on",
            "sources-TOTAL_FORMS": "0",
            "disbursements-TOTAL_FORMS": "0",
            "disbursements-INITIAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    assert Pledge.objects.get(title__startswith="Will not").slug == "amazon-no-police-sales"


def test_the_announced_date_filter_and_year_links_filter_the_list(reviewer_client, company):
    PledgeFactory(company=company, title="This year", announced_on=dt.date(2021, 3, 1))
    PledgeFactory(company=company, title="Years ago", announced_on=dt.date(2018, 3, 1))

    def titles(**params):
        response = reviewer_client.get(reverse(CHANGELIST), params)
        return {p.title for p in response.context["cl"].result_list}

    assert titles(announced_on__gte="2021-01-01", announced_on__lt="2022-01-01") == {"This year"}
    # The links the old date hierarchy made still work.
    assert titles(announced_on__year="2018") == {"Years ago"}


def test_search_results_keep_the_lists_order_not_the_rank(reviewer_client, company):
    # On PostgreSQL a title match ranks above a summary match; the list still goes by date.
    PledgeFactory(company=company, title="A Rekognition audit", announced_on=dt.date(2020, 1, 1))
    PledgeFactory(
        company=company,
        title="Bias review",
        summary="Covers Rekognition.",
        announced_on=dt.date(2021, 1, 1),
    )
    PledgeFactory(company=company, title="Unrelated", announced_on=dt.date(2021, 2, 1))

    def titles(**params):
        response = reviewer_client.get(reverse(CHANGELIST), {"q": "rekognition", **params})
        return [p.title for p in response.context["cl"].result_list]

    assert titles() == ["Bias review", "A Rekognition audit"]
    # Sorted by the title column (?o=<its index>), as a staff member's click asks.
    columns = reviewer_client.get(reverse(CHANGELIST)).context["cl"].list_display
    assert titles(o=str(columns.index("title"))) == ["A Rekognition audit", "Bias review"]


def test_the_list_shows_a_screenful_of_pledges_a_page_and_the_search_pages_on(
    reviewer_client, company
):
    for day in range(1, 31):
        PledgeFactory(
            company=company, title=f"Rekognition {day}", announced_on=dt.date(2021, 6, day)
        )

    def page(**params):
        return reviewer_client.get(reverse(CHANGELIST), {"q": "rekognition", **params})

    first = page().context["cl"]
    assert (len(first.result_list), first.result_count) == (25, 30)
    assert first.result_list[0].title == "Rekognition 30"
    # The second page holds the rest, and its row links still lead back to this search.
    second = page(p="2")
    assert [p.title for p in second.context["cl"].result_list] == [
        f"Rekognition {day}" for day in range(5, 0, -1)
    ]
    assert "_changelist_filters=q%3Drekognition" in second.text


def test_search_and_a_filter_together(reviewer_client, company):
    PledgeFactory(company=company, title="Rekognition, late", deadline=dt.date(2021, 1, 2))
    PledgeFactory(company=company, title="Rekognition, later", deadline=dt.date(2022, 1, 2))
    PledgeFactory(company=company, title="Late, unrelated", deadline=dt.date(2021, 1, 3))
    response = reviewer_client.get(
        reverse(CHANGELIST), {"q": "rekognition", "awaiting_verdict": "yes"}
    )
    assert [p.title for p in response.context["cl"].result_list] == ["Rekognition, late"]


def test_the_row_checkbox_is_the_markup_django_renders(company):
    pledge = PledgeFactory(company=company, title='Cut "emissions" <b>by half</b> & more')
    pledge_admin = admin.site._registry[Pledge]
    ours = pledge_admin.action_checkbox(pledge)
    assert ours == admin.ModelAdmin.action_checkbox(pledge_admin, pledge)
    assert "&lt;b&gt;by half&lt;/b&gt;" in ours


def test_the_selected_rows_reach_the_action(editor_client, company):
    chosen = PledgeFactory(company=company, title="Chosen", is_published=False)
    other = PledgeFactory(company=company, title="Other", is_published=False)
    page = editor_client.get(reverse(CHANGELIST))
    assert f'name="_selected_action" value="{chosen.pk}"' in page.text
    editor_client.post(
        reverse(CHANGELIST), {"action": "publish_selected", "_selected_action": [chosen.pk]}
    )
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.is_published, other.is_published) == (True, False)
