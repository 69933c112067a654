"""Every page works under the strict Content-Security-Policy: no violation in the console."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from commitments.models import Company, Pledge
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def public_paths():
    pledge = Pledge.objects.get(slug="amazon-rekognition-police-moratorium")
    company = Company.objects.get(slug="amazon")
    return ["/", pledge.get_absolute_url(), company.get_absolute_url(), "/no-such-page/"]


def admin_paths():
    pledge = Pledge.objects.get(slug="amazon-rekognition-police-moratorium")
    return [
        reverse("admin:index"),
        reverse("admin:commitments_pledge_changelist"),
        reverse("admin:commitments_pledge_add"),
        reverse("admin:commitments_pledge_change", args=[pledge.pk]),
        reverse("admin:commitments_pledge_history", args=[pledge.pk]),
        reverse("admin:commitments_company_changelist"),
        reverse("admin:commitments_pledge_export"),
        reverse("admin:commitments_pledge_import"),
    ]


def violations(page):
    return [e for e in page.errors if "Content Security Policy" in e or "Refused to" in e]


def log_in(page):
    UserFactory(username="root", is_superuser=True)
    page.goto(reverse("admin:login"))
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('admin:index')}")


def test_public_pages_and_the_admin_raise_no_csp_violation(page):
    call_command("load_demo")
    for path in public_paths():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path

    log_in(page)
    for path in admin_paths():
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path


def test_select_all_on_the_export_page_works_under_the_policy(page):
    call_command("load_demo")
    log_in(page)
    page.goto(reverse("admin:commitments_pledge_export"))
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 1
    page.get_by_label("Select all").uncheck()
    assert [fields.nth(n).is_checked() for n in range(fields.count())] == [False] * fields.count()
    page.get_by_label("Select all").check()
    assert all(fields.nth(n).is_checked() for n in range(fields.count()))
    assert violations(page) == []
