"""Per-IP limits count per client, not per proxy: requests go through a real reverse proxy.

The proxy appends the connecting address to X-Forwarded-For, as the README's proxy must, and
the app runs behind it with TRUSTED_PROXY_COUNT=1. Two clients on two loopback addresses are
two people on the internet: one of them using up its allowance must not block the other.
"""

from http.cookies import SimpleCookie

import pytest
from django.core import mail
from django.urls import reverse

from tests.alerts.conftest import eager_celery  # noqa: F401 - confirmations sent inline
from tests.factories import UserFactory
from tests.proxy import ForwardingProxy
from tracker.security import client_ip

pytestmark = pytest.mark.django_db(transaction=True)

ABUSER, READER = "127.0.0.2", "127.0.0.3"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def proxy(live_server, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with ForwardingProxy(live_server.url) as proxy:
        yield proxy


def sign_up(proxy, client, email, headers=None):
    fields = {"email": email, "scope": "all", "topics": "verdict"}
    status, _, _ = proxy.request(client, "POST", "/alerts/", fields, headers)
    return status


def test_one_client_over_the_sign_up_limit_does_not_block_another(proxy, settings):
    settings.TRACKER_ALERT_RATE_PER_IP = "3/h"
    # Invalid sign-ups, and each claiming a fresh address the proxy did not write.
    abuse = [
        sign_up(proxy, ABUSER, "not an address", {"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(5)
    ]
    assert abuse == [200, 200, 200, 429, 429]
    assert sign_up(proxy, READER, "reader@example.org") == 200
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]
    assert sign_up(proxy, ABUSER, "abuser@example.org") == 429


def log_in(proxy, client, password):
    login = reverse("admin:login")
    _, headers, _ = proxy.request(client, "GET", login)
    token = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    fields = {
        "username": "editor",
        "password": password,
        "csrfmiddlewaretoken": token,
        "next": reverse("admin:index"),
    }
    status, _, body = proxy.request(
        client, "POST", login, fields, {"Cookie": f"csrftoken={token}", "Referer": login}
    )
    return status, body


def test_a_login_lockout_holds_the_client_that_failed_and_no_other(proxy, settings):
    UserFactory(username="editor")
    failures = [log_in(proxy, ABUSER, "wrong")[0] for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert failures[-1] == 429  # the last failure locks the username from that client
    status, body = log_in(proxy, ABUSER, PASSWORD)
    assert status == 429
    assert "Too many failed logins" in body
    assert log_in(proxy, READER, PASSWORD)[0] == 302


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.66", "203.0.113.66"),
        ("spoofed, 203.0.113.66", "203.0.113.66"),
        ("2001:db8::1", "2001:db8::1"),
        ("", "10.0.0.2"),  # did not come through the proxy
        ("not-an-address", "10.0.0.2"),  # not written by our proxy
    ],
)
def test_the_client_is_the_entry_the_trusted_proxy_wrote(rf, settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
