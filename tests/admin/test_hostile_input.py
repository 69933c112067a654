"""Hostile or broken input through the admin: refused next to its field, or escaped."""

import pytest
from django.urls import reverse

from commitments.models import Company, Pledge, Source
from tests.factories import PledgeFactory

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'


def add_pledge(client, company, **overrides):
    data = {
        "company": company.pk,
        "title": "A pledge",
        "success_criteria": "Criteria.",
        "summary": "",
        "category": "other",
        "announced_on": "2021-01-01",
        "sources-TOTAL_FORMS": 0,
        "disbursements-TOTAL_FORMS": 0,
        "disbursements-INITIAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return client.post(reverse("admin:commitments_pledge_add"), data)


def field_errors(response):
    return response.context["adminform"].form.errors


def test_html_in_a_title_is_stored_as_text_and_escaped_everywhere(editor_client, company):
    response = add_pledge(editor_client, company, title=SCRIPT, summary=f"**Bold** {SCRIPT}")
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert pledge.title == SCRIPT

    for url in [
        reverse("admin:commitments_pledge_changelist"),
        reverse("admin:commitments_pledge_change", args=[pledge.pk]),
        reverse("admin:commitments_company_change", args=[company.pk]),
        reverse("admin:commitments_pledge_move_deadline", args=[pledge.pk]),
        reverse("admin:commitments_pledge_history", args=[pledge.pk]),
    ]:
        text = editor_client.get(url).text
        assert SCRIPT not in text, url
        assert "&lt;script&gt;" in text, url


def test_control_characters_are_refused_next_to_the_field(editor_client, company):
    response = add_pledge(editor_client, company, title="Bell\x07 and escape\x1b[31m")
    assert field_errors(response)["title"] == [
        "Remove the invisible control characters from this text."
    ]
    assert Pledge.objects.count() == 0


def test_a_megabyte_of_text_is_refused_and_nothing_is_saved(editor_client, company):
    response = add_pledge(editor_client, company, summary="x" * 1_048_576)
    assert response.status_code == 200
    assert field_errors(response)["summary"] == [
        "Ensure this value has at most 20000 characters (it has 1048576)."
    ]
    assert Pledge.objects.count() == 0


def test_a_javascript_source_url_is_refused_and_the_pledge_is_not_half_saved(
    editor_client, company
):
    response = add_pledge(
        editor_client,
        company,
        **{
            "sources-TOTAL_FORMS": 1,
            "disbursements-TOTAL_FORMS": 0,
            "disbursements-INITIAL_FORMS": 0,
            "sources-0-url": "javascript:alert(document.cookie)",
            "sources-0-title": "Evil",
        },
    )
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert "url" in inline.formset.forms[0].errors
    assert (Pledge.objects.count(), Source.objects.count()) == (0, 0)


def test_a_javascript_url_is_refused_on_the_verdict_page(reviewer_client, pledge):
    response = reviewer_client.post(
        reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
        {
            "version": pledge.version,
            "status": "in_progress",
            "rationale": "Under way.",
            "effective_on": "2021-01-01",
            "new_source_url": "javascript:alert(1)",
            "new_source_title": "Evil",
        },
    )
    assert "new_source_url" in response.context["form"].errors
    assert Pledge.objects.get(pk=pledge.pk).status == "not_yet_rated"
    assert Source.objects.count() == 0


def test_control_characters_in_a_rationale_are_refused(reviewer_client, pledge):
    response = reviewer_client.post(
        reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
        {
            "version": pledge.version,
            "status": "in_progress",
            "rationale": "Under\x00 way",
            "effective_on": "2021-01-01",
        },
    )
    assert "rationale" in response.context["form"].errors
    assert pledge.events.count() == 1  # only "announced"


def test_a_company_with_a_script_name_is_escaped_in_the_pledge_list(editor_client):
    company = Company.objects.create(name=SCRIPT, slug="evil")
    PledgeFactory(company=company)
    text = editor_client.get(reverse("admin:commitments_pledge_changelist")).text
    assert SCRIPT not in text
