"""Security features a deployment relies on, checked through real requests."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_login_url():
    return reverse("admin:login")


def log_in(client, username, password=PASSWORD, otp_token="", ip="203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {
            "username": username,
            "password": password,
            "otp_token": otp_token,
            "next": reverse("admin:index"),
        },
        REMOTE_ADDR=ip,
    )


class TestHeaders:
    @pytest.mark.parametrize("path", ["/", "/no-such-page/", "admin:login"])
    def test_every_response_carries_a_strict_policy(self, client, db, path):
        url = reverse(path) if ":" in path else path
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ):
            assert directive in policy
        assert "unsafe-inline" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    def test_a_revalidation_keeps_the_policy_of_the_copy_the_browser_holds(self, client, db):
        page = client.get("/")
        again = client.get("/", HTTP_IF_NONE_MATCH=page["ETag"])
        assert again.status_code == 304
        # No body to govern: the stored 200's policy stays in force (RFC 9111, 4.3.4).
        assert "Content-Security-Policy" not in again
        assert again["X-Content-Type-Options"] == "nosniff"

    def test_responses_carry_a_request_id_and_keep_a_sane_incoming_one(self, client, db):
        assert len(client.get("/")["X-Request-ID"]) == 32
        assert client.get("/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
        assert client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


@pytest.mark.django_db
class TestLoginThrottling:
    def test_repeated_failures_lock_the_username_from_that_address(self, client, settings):
        UserFactory(username="editor")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, "editor", password="wrong")
        response = log_in(client, "editor")
        assert response.status_code == 429
        assert b"Too many failed logins" in response.content

    def test_the_same_username_from_another_address_is_not_locked(self, client, settings):
        UserFactory(username="editor")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, "editor", password="wrong", ip="203.0.113.7")
        response = log_in(client, "editor", ip="198.51.100.9")
        assert response.status_code == 302

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(self, client, settings):
        UserFactory(username="editor")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(
                reverse("admin:login"),
                {"username": "editor", "password": "wrong"},
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7",
            )
        other_client = client.post(
            reverse("admin:login"),
            {"username": "editor", "password": PASSWORD, "next": reverse("admin:index")},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.9",
        )
        assert other_client.status_code == 302


@pytest.mark.django_db
class TestSecondFactor:
    @pytest.fixture(autouse=True)
    def _superusers_need_a_code(self, settings):
        settings.TRACKER_REQUIRE_2FA = "superusers"

    def test_a_superuser_without_a_device_is_sent_to_set_one_up_first(self, client):
        UserFactory(username="boss", is_superuser=True)
        log_in(client, "boss")
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:two_factor")
        assert b"This account needs a second factor" in client.get(response["Location"]).content

    def test_a_superuser_with_a_valid_code_gets_in(self, client):
        boss = UserFactory(username="boss", is_superuser=True)
        device = TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
        log_in(client, "boss", otp_token=str(totp(device.bin_key)).zfill(6))
        assert client.get(reverse("admin:index")).status_code == 200

    def test_a_wrong_code_is_refused(self, client):
        boss = UserFactory(username="boss", is_superuser=True)
        TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
        response = log_in(client, "boss", otp_token="000000")
        assert response.status_code == 200
        assert client.get(reverse("admin:index")).status_code == 302

    def test_other_staff_need_no_code_under_the_superusers_policy(self, client):
        UserFactory(username="editor")
        log_in(client, "editor")
        assert client.get(reverse("admin:index")).status_code == 200

    def test_the_staff_policy_requires_a_code_from_everyone(self, client, settings):
        settings.TRACKER_REQUIRE_2FA = "staff"
        UserFactory(username="editor")
        log_in(client, "editor")
        assert client.get(reverse("admin:index")).status_code == 302

    def test_enroll_totp_gives_a_device_that_works(self, client, capsys):
        UserFactory(username="boss", is_superuser=True)
        call_command("enroll_totp", "boss")
        assert "otpauth://totp/" in capsys.readouterr().out
        device = TOTPDevice.objects.get(user__username="boss")
        log_in(client, "boss", otp_token=str(totp(device.bin_key)).zfill(6))
        assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_an_oversized_post_is_refused_cleanly(client):
    response = client.post(reverse("admin:login"), data={"username": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400


def test_the_admin_path_is_configurable_and_never_linked_publicly(client, db):
    html = client.get("/").content.decode()
    assert reverse("admin:index") not in html
    assert get_user_model().objects.count() == 0
