"""Staff accounts without a shell: invitations, self-service two-factor, the admin's 403."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def invitation_link():
    [message] = mail.outbox
    return re.search(r"https?://\S+/welcome/\S+/", message.body)[0].split("tracker.example.org")[1]


def code_for(device):
    return str(totp(device.bin_key)).zfill(6)


@pytest.fixture
def invited(superuser_client):
    response = superuser_client.post(
        reverse("admin:invite"), {"email": "Nia@Example.org", "role": "Reviewers"}
    )
    assert response.status_code == 302
    superuser_client.logout()
    return User.objects.get(email="nia@example.org")


def test_an_invitation_creates_a_reviewer_who_has_no_password_yet(invited):
    assert invited.is_staff
    assert not invited.has_usable_password()
    assert list(invited.groups.values_list("name", flat=True)) == ["Reviewers"]
    [message] = mail.outbox
    assert message.to == ["nia@example.org"]
    assert "as a Reviewer" in message.body


def test_the_invitee_chooses_a_password_once_and_is_logged_in(client, invited):
    link = invitation_link()
    page = client.get(link)
    assert b"Choose your password" in page.content
    response = client.post(
        link, {"new_password1": "a long new phrase 42", "new_password2": "a long new phrase 42"}
    )
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    invited.refresh_from_db()
    assert invited.check_password("a long new phrase 42")
    client.logout()
    reused = client.get(link)
    assert reused.status_code == 400
    assert b"expired, was already used" in reused.content


@pytest.mark.parametrize(
    "mangle",
    [lambda link: link[:-3] + "xx/", lambda link: link.replace("/welcome/", "/welcome/Zm9v")],
)
def test_a_tampered_invitation_link_gets_a_clear_page_not_an_error(client, invited, mangle):
    response = client.get(mangle(invitation_link()))
    assert response.status_code in (400, 404)
    assert b"Traceback" not in response.content


def test_an_address_that_already_has_an_account_is_refused(superuser_client, editor):
    response = superuser_client.post(
        reverse("admin:invite"), {"email": editor.email.upper(), "role": "Editors"}
    )
    assert b"already has an account" in response.content
    assert mail.outbox == []


def test_an_invitation_that_cannot_be_sent_leaves_no_account(superuser_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = superuser_client.post(
        reverse("admin:invite"), {"email": "nia@example.org", "role": "Editors"}
    )
    assert b"could not be sent" in response.content
    assert not User.objects.filter(email="nia@example.org").exists()


def test_an_editor_cannot_invite_and_is_told_why(editor_client):
    response = editor_client.get(reverse("admin:invite"))
    assert response.status_code == 403
    assert b"right to add users" in response.content
    assert b"Commitment Tracker staff" in response.content  # the admin's own page


def test_an_editor_on_a_reviewer_page_sees_the_admins_403_naming_the_role(editor_client, pledge):
    url = reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk])
    response = editor_client.get(url)
    assert response.status_code == 403
    assert b"Recording a verdict needs the Reviewer role." in response.content
    assert b"Commitment Tracker staff" in response.content


class TestTwoFactorEnrolment:
    @pytest.fixture(autouse=True)
    def _staff_need_a_code(self, settings):
        settings.TRACKER_REQUIRE_2FA = "staff"

    def test_staff_without_a_device_are_sent_to_enrol_before_anything_else(self, reviewer_client):
        response = reviewer_client.get(reverse("admin:commitments_pledge_changelist"))
        assert response["Location"] == reverse("admin:two_factor")

    def test_the_page_shows_a_server_drawn_qr_code_and_the_key(self, reviewer_client, reviewer):
        html = reviewer_client.get(reverse("admin:two_factor")).content.decode()
        assert 'src="data:image/svg+xml' in html
        device = TOTPDevice.objects.get(user=reviewer)
        assert not device.confirmed
        assert device.key.upper() not in html  # hex key; the page shows the base32 secret
        key = re.search(r'id="totp-key">(\w+)<', html)[1]
        assert key in device.config_url

    def test_a_wrong_code_confirms_nothing(self, reviewer_client, reviewer):
        reviewer_client.get(reverse("admin:two_factor"))
        response = reviewer_client.post(reverse("admin:two_factor"), {"code": "000000"})
        assert b"did not match" in response.content
        assert not TOTPDevice.objects.get(user=reviewer).confirmed

    def test_a_right_code_turns_it_on_and_shows_backup_codes_once(self, reviewer_client, reviewer):
        reviewer_client.get(reverse("admin:two_factor"))
        device = TOTPDevice.objects.get(user=reviewer)
        response = reviewer_client.post(reverse("admin:two_factor"), {"code": code_for(device)})
        codes = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
        assert len(codes) == 10
        assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)
        device.refresh_from_db()
        assert device.confirmed
        assert reviewer_client.get(reverse("admin:index")).status_code == 200
        again = reviewer_client.get(reverse("admin:two_factor")).content.decode()
        assert "already has an authenticator" in again
        assert not any(code in again for code in codes)

    def test_an_account_with_a_device_cannot_enrol_a_second_one_without_it(self, client):
        rita = UserFactory(username="rita2", groups=["Reviewers"])
        TOTPDevice.objects.create(user=rita, name="phone", confirmed=True)
        client.force_login(rita)  # password only, no code
        response = client.get(reverse("admin:two_factor"))
        assert b"already has an authenticator" in response.content
        assert TOTPDevice.objects.filter(user=rita).count() == 1

    def test_a_superuser_resets_a_lost_device(self, reviewer, superuser):
        TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
        from django.test import Client

        boss = Client()
        boss.force_login(superuser)
        session = boss.session  # verified, as django_otp.login() leaves it
        session["otp_device_id"] = TOTPDevice.objects.create(
            user=superuser, name="boss phone", confirmed=True
        ).persistent_id
        session.save()
        response = boss.post(
            reverse("admin:auth_user_changelist"),
            {"action": "reset_two_factor", "_selected_action": [reviewer.pk]},
        )
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=reviewer).exists()
