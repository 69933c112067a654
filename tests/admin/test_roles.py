"""Who may do what in the staff admin: the role × action matrix.

Each action is attempted for real (a POST where it changes something); when it is
refused, the response is a 403 (or the login page for anonymous visitors) and the
database is unchanged.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Pledge
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "staff_without_role", "editor", "reviewer", "superuser"]
ALLOWED = {
    "view": {"editor", "reviewer", "superuser"},
    "add": {"editor", "reviewer", "superuser"},
    "change": {"editor", "reviewer", "superuser"},
    "record_verdict": {"reviewer", "superuser"},
    "move_deadline": {"editor", "reviewer", "superuser"},
    "import": {"editor", "reviewer", "superuser"},
}


def log_in(client, role):
    if role == "anonymous":
        return
    kwargs = {
        "staff_without_role": {},
        "editor": {"groups": ["Editors"]},
        "reviewer": {"groups": ["Reviewers"]},
        "superuser": {"is_superuser": True},
    }[role]
    client.force_login(UserFactory(username=role, **kwargs))


def view(client, pledge):
    response = client.get(reverse("admin:commitments_pledge_changelist"))
    return response, response.status_code == 200 and pledge.title in response.text


def add(client, pledge):
    response = client.post(
        reverse("admin:commitments_pledge_add"),
        {
            "company": pledge.company.pk,
            "title": "A new pledge",
            "success_criteria": "Criteria.",
            "category": "other",
            "announced_on": "2021-01-01",
            "sources-TOTAL_FORMS": 0,
            "disbursements-TOTAL_FORMS": 0,
            "disbursements-INITIAL_FORMS": 0,
            "sources-INITIAL_FORMS": 0,
        },
    )
    return response, Pledge.objects.filter(title="A new pledge").exists()


def change(client, pledge):
    response = client.post(
        reverse("admin:commitments_pledge_change", args=[pledge.pk]),
        {
            "company": pledge.company.pk,
            "title": "Renamed",
            "slug": pledge.slug,
            "success_criteria": pledge.success_criteria,
            "category": pledge.category,
            "announced_on": "2020-06-10",
            "sources-TOTAL_FORMS": 0,
            "disbursements-TOTAL_FORMS": 0,
            "disbursements-INITIAL_FORMS": 0,
            "sources-INITIAL_FORMS": 0,
        },
    )
    return response, Pledge.objects.get(pk=pledge.pk).title == "Renamed"


def record_verdict(client, pledge):
    response = client.post(
        reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]),
        {
            "version": pledge.version,
            "status": "in_progress",
            "rationale": "Work has started.",
            "effective_on": "2021-01-01",
        },
    )
    return response, Pledge.objects.get(pk=pledge.pk).status == "in_progress"


def move_deadline(client, pledge):
    response = client.post(
        reverse("admin:commitments_pledge_move_deadline", args=[pledge.pk]),
        {
            "version": pledge.version,
            "new_deadline": "2022-06-10",
            "rationale": "Extended.",
            "effective_on": "2021-01-01",
            "new_source_url": "https://news.example.com/extended",
            "new_source_title": "Extended",
        },
    )
    return response, Pledge.objects.get(pk=pledge.pk).deadline == dt.date(2022, 6, 10)


def import_(client, pledge):
    csv = f"company,title,success_criteria,announced_on\n{pledge.company.name},Imported,C,2020-01-01\n"
    preview = client.post(
        reverse("admin:commitments_pledge_import"),
        {"import_file": SimpleUploadedFile("p.csv", csv.encode()), "format": "0"},
    )
    if preview.status_code != 200:
        return preview, False
    form = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:commitments_pledge_process_import"),
        {name: form[name].value() for name in form.fields},
    )
    return response, Pledge.objects.filter(title="Imported").exists()


ACTIONS = {
    "view": view,
    "add": add,
    "change": change,
    "record_verdict": record_verdict,
    "move_deadline": move_deadline,
    "import": import_,
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not_act(client, pledge, time_machine, role, action):
    time_machine.move_to(dt.datetime(2021, 3, 1, 20, 0, tzinfo=dt.UTC), tick=False)
    log_in(client, role)
    response, happened = ACTIONS[action](client, pledge)

    if role in ALLOWED[action]:
        assert happened, f"{role} should be able to {action} (got {response.status_code})"
    else:
        assert not happened
        if role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        else:
            assert response.status_code == 403


def test_staff_without_a_role_sees_nothing_to_change(client):
    log_in(client, "staff_without_role")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []
    assert "Awaiting verdict" not in response.text


def test_an_editor_sees_no_verdict_button_but_a_reviewer_does(client, pledge):
    url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
    verdict_url = reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk])
    log_in(client, "editor")
    assert verdict_url not in client.get(url).text
    log_in(client, "reviewer")
    assert verdict_url in client.get(url).text


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_no_role_may_delete_pledges_companies_or_sources(client, pledge, role):
    log_in(client, role)
    response = client.post(
        reverse("admin:commitments_pledge_delete", args=[pledge.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Pledge.objects.filter(pk=pledge.pk).exists()


def test_the_roles_hold_exactly_the_intended_permissions():
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    editors = {
        "add_company", "change_company", "view_company",
        "add_pledge", "change_pledge", "view_pledge", "move_deadline",
        "add_source", "change_source", "view_source",
        "view_pledgeevent", "view_historicalcompany", "view_historicalpledge",
        "view_historicalsource", "view_user",
        "add_page", "change_page", "view_page",
        "add_disbursement", "change_disbursement", "view_disbursement",
        "view_historicaldisbursement",
        # Right of reply: contacts, asking and cancelling; Reviewers also publish/withhold.
        "add_companycontact", "change_companycontact", "delete_companycontact",
        "view_companycontact", "add_replyrequest", "change_replyrequest",
        "view_replyrequest", "view_reply",
    }  # fmt: skip
    assert codenames("Editors") == editors
    assert codenames("Reviewers") == editors | {"record_verdict", "change_reply"}
