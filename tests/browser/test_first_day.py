"""A new reviewer's first day, in the browser: invitation → password → two-factor → verdict.

The authenticator is played by the test: it reads the QR code off the screen (a screenshot
decoded by zxing-cpp, as a phone's camera would) and computes codes from the key inside.
"""

import base64
import datetime as dt
import io
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from PIL import Image

from commitments.admin import accounts
from commitments.domain import calendar
from tests.factories import CompanyFactory, PledgeFactory, UserFactory, ensure_roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase 42"


def scan(qr_image):
    """What an authenticator app reads from the QR code on screen: the otpauth:// URI."""
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_image.screenshot())))
    return code.text


def code_from(otpauth_uri, steps_ahead=0):
    """The 6-digit code the app shows ``steps_ahead`` 30-second periods from now."""
    secret = parse_qs(urlparse(otpauth_uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_an_invited_reviewer_enrols_two_factor_and_records_a_first_verdict(page, settings):
    settings.TRACKER_REQUIRE_2FA = "staff"
    ensure_roles()
    admin = UserFactory(username="ada", is_superuser=True)
    PledgeFactory(
        company=CompanyFactory(name="IBM"),
        title="Exit general-purpose facial recognition",
        announced_on=calendar.today() - dt.timedelta(days=400),
        deadline=calendar.today() - dt.timedelta(days=10),
    )
    accounts.invite("rita@example.org", "Reviewers", invited_by=admin)
    [invitation] = mail.outbox
    link = re.search(r"https?://\S+(/admin/welcome/\S+/)", invitation.body).group(1)

    # 1-3: open the link, choose a password (twice), submit.
    page.goto(link)
    page.get_by_label("New password:", exact=True).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()

    # 4-6: two-factor comes next: scan the code, type what the app shows, submit.
    page.wait_for_url("**/admin/two-factor/")
    uri = scan(page.get_by_alt_text("QR code to add Commitment Tracker to your authenticator app"))
    assert uri.startswith("otpauth://totp/")
    assert uri.split("secret=")[1].split("&")[0] == page.locator("#totp-key").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_from(uri))
    page.get_by_role("button", name="Turn on two-factor").click()
    assert len(page.locator(".backup-codes li").all()) == 10

    # The next morning: log in with user name, password and a fresh code.
    page.context.clear_cookies()
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    # A code is accepted once: the app's next one, as after a night's sleep.
    page.get_by_label("One-time code").fill(code_from(uri, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()

    # 7-13: queue → the pledge → verdict with its evidence.
    page.locator("#awaiting-verdict").get_by_role("link", name="Open the queue").click()
    page.locator("#result_list tbody tr").filter(has_text="facial recognition").get_by_role(
        "link", name="Record verdict"
    ).click()
    page.get_by_label("New status").select_option("kept")
    page.get_by_label("Rationale").fill("IBM sells no general-purpose facial recognition.")
    page.get_by_label("New source URL").fill("https://news.example.com/ibm-exit")
    page.get_by_label("New source title").fill("IBM confirms exit")
    page.get_by_role("button", name="Record a verdict").click()
    assert "Recorded “Kept”" in page.locator(".messagelist").inner_text()
    assert page.errors == []


def test_a_wrong_code_keeps_two_factor_off_and_says_what_to_check(page, settings):
    settings.TRACKER_REQUIRE_2FA = "staff"
    ensure_roles()
    admin = UserFactory(username="ada", is_superuser=True)
    accounts.invite("sam@example.org", "Editors", invited_by=admin)
    link = re.search(r"https?://\S+(/admin/welcome/\S+/)", mail.outbox[0].body).group(1)
    page.goto(link)
    page.get_by_label("New password:", exact=True).fill(PASSWORD)
    page.get_by_label("New password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor").click()
    assert "That code did not match" in page.content()
    page.goto(reverse("admin:index"))
    assert page.url.endswith(reverse("admin:two_factor"))  # still sent to enrol first


def test_an_editor_on_a_reviewers_page_sees_the_admins_own_403_naming_the_role(page):
    ensure_roles()
    UserFactory(username="edna", groups=["Editors"])
    pledge = PledgeFactory(title="Exit general-purpose facial recognition")
    page.goto(reverse("admin:login"))
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill("correct horse battery staple")  # UserFactory's
    page.get_by_role("button", name="Log in").click()
    response = page.goto(reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]))
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    assert "Recording a verdict needs the Reviewer role." in page.locator(".errornote").inner_text()
    page.get_by_role("link", name="Back to the staff site").click()
    assert page.url.endswith(reverse("admin:index"))
