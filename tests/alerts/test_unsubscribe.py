"""RFC 8058 one-click unsubscribe: scanners cannot trigger it, mail providers can."""

from django.test import Client

from commitments.alerts import tokens
from commitments.models import Subscriber, Subscription, Suppression
from tests.alerts.conftest import follow


def unsubscribe_path(subscription):
    url = tokens.unsubscribe_url(subscription.subscriber)
    return url.removeprefix("https://tracker.example.org")


def test_opening_the_link_never_unsubscribes(db):
    path = unsubscribe_path(follow("ann@example.org"))
    for _ in range(3):  # link scanners, previews, a curious reader
        response = Client().get(path)
        assert response.status_code == 200
        assert "Stop all alerts?" in response.content.decode()
    assert Subscription.objects.count() == 1
    assert not Suppression.objects.exists()


def test_head_requests_do_not_unsubscribe_either(db):
    path = unsubscribe_path(follow("ann@example.org"))
    Client().head(path)
    assert Subscription.objects.count() == 1


def test_the_one_click_post_works_without_cookies_or_csrf_token_and_repeats_harmlessly(db):
    path = unsubscribe_path(follow("ann@example.org"))
    mail_provider = Client(enforce_csrf_checks=True)
    first = mail_provider.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert first.status_code == 200
    assert Subscriber.objects.count() == 0
    assert Suppression.objects.count() == 1
    again = mail_provider.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    assert "You're unsubscribed" in again.content.decode()
    assert Suppression.objects.count() == 1


def test_a_post_without_the_one_click_field_changes_nothing(db):
    path = unsubscribe_path(follow("ann@example.org"))
    response = Client(enforce_csrf_checks=True).post(path, {})
    assert response.status_code == 400
    assert Subscription.objects.count() == 1


def test_the_confirm_button_on_the_page_unsubscribes(client, db):
    path = unsubscribe_path(follow("ann@example.org"))
    html = client.get(path).content.decode()
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in html
    client.post(path, {"List-Unsubscribe": "One-Click"})
    assert Subscriber.objects.count() == 0


def test_other_forms_still_require_a_csrf_token(db):
    subscription = follow("ann@example.org")
    path = tokens.manage_url(subscription.subscriber).removeprefix("https://tracker.example.org")
    response = Client(enforce_csrf_checks=True).post(path, {"leave": "1"})
    assert response.status_code == 403
    assert Subscriber.objects.count() == 1
