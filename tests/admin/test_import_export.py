"""Bulk import from a spreadsheet (dry run first, all or nothing) and export of a selection."""

import csv
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Company, Pledge, PledgeEvent
from tests.factories import CompanyFactory, PledgeFactory, UserFactory
from tests.security.html_checks import active_content

pytestmark = pytest.mark.django_db

HEADER = "company,title,success_criteria,category,announced_on,deadline,is_published\n"


def upload_csv(client, text):
    upload = SimpleUploadedFile("pledges.csv", text.encode(), content_type="text/csv")
    return client.post(
        reverse("admin:commitments_pledge_import"), {"import_file": upload, "format": "0"}
    )


def confirm(client, dry_run_response):
    form = dry_run_response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(reverse("admin:commitments_pledge_process_import"), data)


def row_errors(response):
    """{row number: {field: [messages]}} from the dry-run result."""
    result = response.context["result"]
    return {
        row.number: {field: list(messages) for field, messages in row.field_specific_errors.items()}
        for row in result.invalid_rows
    }


@pytest.fixture
def companies(db):
    return [CompanyFactory(name="Amazon", slug="amazon"), CompanyFactory(name="IBM", slug="ibm")]


def test_a_clean_file_previews_then_imports_every_row(editor_client, editor, companies):
    csv = HEADER + (
        "Amazon,Moratorium on Rekognition,No police use,moratorium,2020-06-10,2021-06-10,1\n"
        "ibm,Exit facial recognition,No FR products sold,exit,2020-06-08,,0\n"
    )
    preview = upload_csv(editor_client, csv)
    assert preview.status_code == 200
    assert not preview.context["result"].has_validation_errors()
    assert Pledge.objects.count() == 0  # the dry run wrote nothing

    response = confirm(editor_client, preview)
    assert response.status_code == 302
    amazon, ibm = Pledge.objects.order_by("company__name")
    assert (amazon.title, amazon.deadline.isoformat(), amazon.is_published) == (
        "Moratorium on Rekognition",
        "2021-06-10",
        True,
    )
    assert (ibm.company.name, ibm.deadline, ibm.status, ibm.created_by) == (
        "IBM",
        None,
        "not_yet_rated",
        editor,
    )
    assert ibm.events.filter(kind=PledgeEvent.Kind.ANNOUNCED).count() == 1
    history = amazon.history.get()
    assert (history.history_user, history.history_change_reason) == (
        editor,
        "Imported from a spreadsheet",
    )


def test_the_dry_run_lists_every_bad_row_and_offers_no_import(editor_client, companies):
    PledgeFactory(company=companies[0], title="Already tracked")
    csv = HEADER + (
        "Amazon,Fine row,Criteria,other,2020-01-01,,0\n"
        "Amazon,Bad date,Criteria,other,10/06/2020,,0\n"
        "Umbrella Corp,Unknown company,Criteria,other,2020-01-01,,0\n"
        "Amazon,Already tracked,Criteria,other,2020-01-01,,0\n"
        "IBM,Twice in the file,Criteria,other,2020-01-01,,0\n"
        "IBM,Twice in the file,Criteria,other,2020-01-01,,0\n"
        "IBM,Deadline first,Criteria,other,2020-01-01,2019-01-01,0\n"
    )
    preview = upload_csv(editor_client, csv)
    errors = row_errors(preview)
    assert errors == {
        2: {"announced_on": ["“10/06/2020” is not a date: write it as YYYY-MM-DD."]},
        3: {
            "company": [
                "No company named “Umbrella Corp”. Fix the spelling, add the company first, "
                "or tick “Create companies that do not exist yet”."
            ]
        },
        4: {"title": ["Duplicate: Amazon already has a pledge titled “Already tracked”."]},
        6: {"title": ["Duplicate: the same company and title appear in row 5."]},
        7: {"deadline": ["The deadline cannot be before the day the pledge was announced."]},
    }
    assert "confirm_form" not in preview.context
    # Every error is written out in the page, not only behind a hover badge.
    assert (
        "<li>Row 3, company: No company named “Umbrella Corp”. Fix the spelling, add the "
        "company first, or tick “Create companies that do not exist yet”.</li>" in preview.text
    )
    assert Pledge.objects.count() == 1


def test_a_row_that_fails_at_commit_rolls_back_the_whole_file(editor_client, companies):
    csv = HEADER + (
        "Amazon,First,Criteria,other,2020-01-01,,0\nIBM,Second,Criteria,other,2020-01-01,,0\n"
    )
    preview = upload_csv(editor_client, csv)
    # Between preview and confirm, a colleague logs one of the pledges by hand.
    PledgeFactory(company=companies[1], title="Second")

    response = confirm(editor_client, preview)
    assert list(Pledge.objects.values_list("title", flat=True)) == ["Second"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Nothing was imported: the file no longer passes the checks. "
        "Upload it again to see which rows need fixing."
    ]


def test_status_in_a_file_is_ignored(editor_client, companies):
    preview = upload_csv(
        editor_client,
        "company,title,success_criteria,announced_on,status\nAmazon,T,C,2020-01-01,kept\n",
    )
    confirm(editor_client, preview)
    assert Pledge.objects.get().status == Pledge.Status.NOT_YET_RATED


def test_hostile_text_in_a_file_is_rejected(editor_client, companies):
    preview = upload_csv(
        editor_client, HEADER + "Amazon,Bell\x07 title,Criteria,other,2020-01-01,,0\n"
    )
    assert row_errors(preview) == {
        1: {"title": ["Remove the invisible control characters from this text."]}
    }


def test_export_of_the_selection_is_csv_of_those_pledges(editor_client, companies):
    chosen = PledgeFactory(company=companies[0], title="Chosen, with a comma")
    PledgeFactory(company=companies[1], title="Not chosen")
    changelist = reverse("admin:commitments_pledge_changelist")
    form_page = editor_client.post(
        changelist, {"action": "export_admin_action", "_selected_action": [chosen.pk]}
    )
    assert form_page.status_code == 200
    response = editor_client.post(
        reverse("admin:commitments_pledge_export"),
        {"format": "0", "export_items": [chosen.pk], **_all_export_fields(form_page)},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "id,company,title,slug,summary,success_criteria,category,announced_on,deadline,"
        "is_published,amount_pledged,currency,delivered_may_exceed_pledged,amount_delivered,"
        "status,owner"
    )
    assert len(lines) == 2
    assert '"Chosen, with a comma"' in lines[1]
    assert "Amazon" in lines[1]


def test_the_export_form_starts_on_csv_not_on_an_empty_choice(editor_client, companies):
    chosen = PledgeFactory(company=companies[0])
    form_page = editor_client.post(
        reverse("admin:commitments_pledge_changelist"),
        {"action": "export_admin_action", "_selected_action": [chosen.pk]},
    )
    field = form_page.context["form"]["format"]
    assert [label for _, label in field.field.choices] == ["csv", "xlsx"]
    assert field.value() == "0"


def _all_export_fields(form_page):
    """The export form lists one checkbox per resource field; tick them all."""
    form = form_page.context["form"]
    return {name: "on" for name in form.fields if name.startswith("pledgeexportresource_")}


FORMULAS = {
    "company": "-2+3",
    "title": "=cmd|' /C calc'!A0",
    "summary": "@SUM(1+1)",
    "success_criteria": '+HYPERLINK("http://evil.example","click")',
}


def _export(client, pledge, file_format):
    form_page = client.post(
        reverse("admin:commitments_pledge_changelist"),
        {"action": "export_admin_action", "_selected_action": [pledge.pk]},
    )
    return client.post(
        reverse("admin:commitments_pledge_export"),
        {"format": file_format, "export_items": [pledge.pk], **_all_export_fields(form_page)},
    )


@pytest.fixture
def formula_pledge(db):
    company = CompanyFactory(name=FORMULAS["company"], slug="minus")
    return PledgeFactory(
        company=company,
        title=FORMULAS["title"],
        summary=FORMULAS["summary"],
        success_criteria=FORMULAS["success_criteria"],
    )


def test_the_csv_export_writes_formulas_as_quoted_text(editor_client, formula_pledge):
    response = _export(editor_client, formula_pledge, "0")
    [row] = csv.DictReader(io.StringIO(response.content.decode()))
    assert {name: row[name] for name in FORMULAS} == {
        name: "'" + text for name, text in FORMULAS.items()
    }


def test_the_xlsx_export_writes_formulas_as_text_cells(editor_client, formula_pledge):
    response = _export(editor_client, formula_pledge, "1")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(min_row=1, max_row=2))
    cells = {h.value: cell for h, cell in zip(header, row, strict=True)}
    assert {name: (cells[name].data_type, cells[name].value) for name in FORMULAS} == {
        name: ("s", "'" + text) for name, text in FORMULAS.items()
    }


def test_the_export_and_import_pages_carry_nothing_the_csp_refuses(editor_client, companies):
    chosen = PledgeFactory(company=companies[0])
    pages = {
        "export": editor_client.get(reverse("admin:commitments_pledge_export")),
        "export selection": editor_client.post(
            reverse("admin:commitments_pledge_changelist"),
            {"action": "export_admin_action", "_selected_action": [chosen.pk]},
        ),
        "import": editor_client.get(reverse("admin:commitments_pledge_import")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert active_content(response.content.decode()) == [], name


@pytest.fixture
def eager_celery():
    from tracker.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


@pytest.mark.parametrize("days_ago", [3, 2000])
def test_importing_past_deadlines_alerts_no_reader_and_the_preview_says_so(
    editor_client, companies, django_capture_on_commit_callbacks, eager_celery, days_ago
):
    from django.core import mail

    from commitments.domain import reminders
    from commitments.models import Subscriber, Subscription

    reader = Subscriber.objects.create(email="reader@example.org")
    Subscription.objects.create(subscriber=reader, scope="all", confirmed_at="2020-01-01T00:00Z")
    preview = upload_csv(
        editor_client,
        HEADER
        + "Amazon,Moratorium on Rekognition,No police use,moratorium,2020-06-10,2021-06-10,1\n",
    )
    assert "Importing emails no readers" in preview.content.decode()
    confirm(editor_client, preview)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.sweep_deadlines()
    assert PledgeEvent.objects.filter(kind="deadline_passed").count() == 1
    assert [m for m in mail.outbox if "reader@example.org" in m.to] == []
    # The reader does follow it: a verdict recorded now reaches them.
    from commitments.domain import workflow

    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_verdict(
            Pledge.objects.get(), status="stalled", rationale="Quiet for a year.", actor=None
        )
    assert [m.to for m in mail.outbox if "reader@example.org" in m.to] == [["reader@example.org"]]


def test_the_import_page_lists_the_columns_and_offers_a_template_that_imports(
    editor_client, companies
):
    page = editor_client.get(reverse("admin:commitments_pledge_import")).content.decode()
    assert "<code>success_criteria</code>" in page
    template = editor_client.get(reverse("admin:commitments_pledge_import_template"))
    assert template["Content-Type"].startswith("text/csv")
    preview = upload_csv(editor_client, template.content.decode())
    assert not preview.context["result"].has_validation_errors()


def test_missing_companies_are_refused_unless_staff_tick_create_and_then_listed(
    editor_client, companies
):
    rows = HEADER + "Microsoft,No sales to police,No sales,moratorium,2020-06-11,,0\n"
    refused = upload_csv(editor_client, rows)
    assert "tick “Create companies that do not exist yet”" in refused.content.decode()

    upload = SimpleUploadedFile("pledges.csv", rows.encode(), content_type="text/csv")
    preview = editor_client.post(
        reverse("admin:commitments_pledge_import"),
        {"import_file": upload, "format": "0", "create_missing_companies": "on"},
    )
    assert "Committing creates 1 company: Microsoft." in preview.content.decode()
    assert not Company.objects.filter(name="Microsoft").exists()  # a preview writes nothing
    confirm(editor_client, preview)
    assert Pledge.objects.get(company__name="Microsoft").slug == "microsoft-no-sales-to-police"


class TestThePreviewCountsTheReminders:
    """Importing four overdue pledges used to email each Reviewer four times, unannounced."""

    def overdue_rows(self, n):
        return HEADER + "".join(
            f"Amazon,Overdue pledge {i},Criteria,policy_change,2019-01-01,2020-01-{i + 1:02},1\n"
            for i in range(n)
        )

    def notice(self, response):
        html = response.content.decode()
        start = html.index('id="import-reminders">') + len('id="import-reminders">')
        return " ".join(html[start : html.index("</p>", start)].split())

    def test_it_says_how_many_emails_committing_sends_at_once(
        self, editor_client, companies, reviewer
    ):
        UserFactory(username="sam", groups=["Reviewers"])
        preview = upload_csv(editor_client, self.overdue_rows(4))
        assert self.notice(preview) == (
            "Committing causes 8 staff reminder emails at once about 4 pledges past or near "
            "their deadline."
        )
        assert Pledge.objects.count() == 0

    def test_and_how_many_wait_for_the_daily_digest(self, editor_client, companies, reviewer):
        preview = upload_csv(editor_client, self.overdue_rows(7))
        assert self.notice(preview) == (
            "Committing causes 5 staff reminder emails at once about 7 pledges past or near "
            "their deadline, and holds 2 more for the recipients’ daily digests."
        )

    def test_pledges_far_from_their_deadline_cause_none(self, editor_client, companies, reviewer):
        preview = upload_csv(
            editor_client,
            HEADER + "Amazon,Far away,Criteria,policy_change,2019-01-01,2099-01-01,1\n",
        )
        assert self.notice(preview) == (
            "Committing causes no staff reminder now: no imported pledge is past or near its "
            "deadline."
        )
