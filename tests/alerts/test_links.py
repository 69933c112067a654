"""Signed links: wrong, expired or borrowed tokens get a friendly page, never a 500."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.alerts import tokens
from commitments.models import Subscriber, Subscription
from tests.alerts.conftest import follow

PATHS = {
    tokens.CONFIRM: "/alerts/confirm/{}/",
    tokens.UNSUBSCRIBE: "/alerts/unsubscribe/{}/",
    tokens.MANAGE: "/alerts/manage/{}/",
}


def assert_friendly_refusal(response):
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link does not work" in html
    assert "Traceback" not in html


@pytest.fixture
def subscription(db):
    return follow("ann@example.org")


@pytest.mark.parametrize("purpose", list(PATHS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_is_refused_kindly(client, subscription, purpose, method):
    token = tokens.make(purpose, subscription.pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = getattr(client, method)(PATHS[purpose].format(tampered))
    assert_friendly_refusal(response)
    assert Subscriber.objects.count() == 1


def test_a_token_for_another_row_cannot_be_forged_by_changing_the_id(client, subscription):
    token = tokens.make(tokens.UNSUBSCRIBE, subscription.subscriber.pk)
    other = tokens.make(tokens.UNSUBSCRIBE, subscription.subscriber.pk + 1)
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]
    assert_friendly_refusal(Client().post(PATHS[tokens.UNSUBSCRIBE].format(forged)))
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("made_for", "used_as"),
    [
        (tokens.CONFIRM, tokens.UNSUBSCRIBE),
        (tokens.MANAGE, tokens.UNSUBSCRIBE),
        (tokens.UNSUBSCRIBE, tokens.MANAGE),
        (tokens.UNSUBSCRIBE, tokens.CONFIRM),
        (tokens.MANAGE, tokens.CONFIRM),
    ],
)
def test_a_token_for_one_purpose_does_not_work_for_another(client, subscription, made_for, used_as):
    token = tokens.make(made_for, subscription.pk)
    response = client.post(PATHS[used_as].format(token), {"List-Unsubscribe": "One-Click"})
    assert_friendly_refusal(response)
    assert Subscriber.objects.count() == 1


def test_a_confirmation_link_expires_after_three_days(client, db):
    with time_machine.travel("2026-03-01 12:00Z"):
        subscriber = Subscriber.objects.create(email="ann@example.org")
        pending = Subscription.objects.create(subscriber=subscriber, scope="all")
        path = PATHS[tokens.CONFIRM].format(tokens.make(tokens.CONFIRM, pending.pk))
    with time_machine.travel(dt.datetime(2026, 3, 4, 11, 59, tzinfo=dt.UTC)):
        assert client.get(path).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 4, 12, 1, tzinfo=dt.UTC)):
        assert_friendly_refusal(client.post(path))
    pending.refresh_from_db()
    assert pending.confirmed_at is None
    assert mail.outbox == []


def test_an_unsubscribe_link_keeps_working_in_a_year_old_email(client, subscription):
    with time_machine.travel("2025-01-01 12:00Z"):
        token = tokens.make(tokens.UNSUBSCRIBE, subscription.subscriber.pk)
    response = Client().post(
        PATHS[tokens.UNSUBSCRIBE].format(token), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Subscriber.objects.count() == 0


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    garbage=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="/?#%\x00"), min_size=1
    )
)
def test_no_string_in_a_link_makes_the_server_fail(client, subscription, garbage):
    for path in PATHS.values():
        response = client.post(path.format(garbage), {"List-Unsubscribe": "One-Click"})
        assert response.status_code in {400, 404}
    assert Subscriber.objects.count() == 1


@given(pk=st.integers(min_value=1, max_value=2**62), purpose=st.sampled_from(list(PATHS)))
def test_tokens_read_back_only_for_their_own_purpose(pk, purpose):
    token = tokens.make(purpose, pk)
    assert tokens.read(purpose, token) == pk
    for other in set(PATHS) - {purpose}:
        with pytest.raises(tokens.BadToken):
            tokens.read(other, token)


def test_tokens_carry_no_email_address(subscription):
    for purpose in PATHS:
        assert "example" not in tokens.make(purpose, subscription.pk)
