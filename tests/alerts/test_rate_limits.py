import pytest
from django.core import mail

from commitments.models import Subscriber


@pytest.fixture(autouse=True)
def _tight_limits(settings):
    settings.TRACKER_ALERT_RATE_PER_IP = "4/h"
    settings.TRACKER_ALERT_RATE_PER_ADDRESS = "2/h"


def ask(client, email, ip="203.0.113.7"):
    return client.post(
        "/alerts/", {"email": email, "scope": "all", "topics": ["verdict"]}, REMOTE_ADDR=ip
    )


def test_one_address_asked_for_too_often_gets_a_friendly_wait_page(client, db, committed):
    with committed():
        responses = [
            ask(client, "ann@example.org", ip=f"198.51.100.{n}")
            for n in range(1, 4)  # three different IPs: only the address limit applies
        ]
    assert [r.status_code for r in responses] == [200, 200, 429]
    html = responses[-1].content.decode()
    assert "Please wait a little" in html
    assert "Forbidden" not in html
    assert len(mail.outbox) == 2


def test_the_address_limit_ignores_case_and_spaces(client, db):
    statuses = [
        ask(client, email, ip=f"198.51.100.{n}").status_code
        for n, email in enumerate(["ann@example.org", " ANN@example.org", "Ann@Example.ORG "])
    ]
    assert statuses == [200, 200, 429]


def test_one_ip_asking_for_many_addresses_is_slowed_down(client, db):
    statuses = [ask(client, f"reader{n}@example.org").status_code for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert Subscriber.objects.count() == 4


def test_viewing_the_form_does_not_use_up_the_allowance(client, db):
    for _ in range(10):
        assert client.get("/alerts/", REMOTE_ADDR="203.0.113.7").status_code == 200
    assert ask(client, "ann@example.org").status_code == 200
