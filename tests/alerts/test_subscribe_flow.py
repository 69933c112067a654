import re

import pytest
from django.core import mail
from django.test import Client

from commitments.domain import workflow
from commitments.models import Notification, Subscriber, Subscription, Suppression
from commitments.models.subscribers import address_hash
from tests.alerts.conftest import follow, link_in, sent_to

SUBSCRIBE = "/alerts/"


def ask(client, email, pledge=None, scope="pledge", topics=("verdict", "deadline_passed")):
    data = {"email": email, "scope": scope, "topics": list(topics)}
    if pledge is not None:
        data.update(pledge=pledge.slug, company=pledge.company.slug)
    return client.post(SUBSCRIBE, data)


def test_full_flow_subscribe_confirm_alert_and_one_click_unsubscribe(
    client, pledge, superuser, committed
):
    with committed():
        response = ask(client, "Reader@Example.org ", pledge)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    [confirmation] = mail.outbox
    assert confirmation.to == ["reader@example.org"]
    assert "confirm" in confirmation.subject.lower()

    confirm_path = link_in(confirmation, "/alerts/confirm/")
    assert "Confirm your alerts" in client.get(confirm_path).content.decode()
    assert Subscription.objects.get().confirmed_at is None  # a GET confirms nothing
    assert "You're subscribed" in client.post(confirm_path).content.decode()
    assert Subscription.objects.get().confirmed_at is not None

    mail.outbox.clear()
    with committed():
        workflow.record_verdict(
            pledge, status="in_progress", rationale="Work has started.", actor=superuser
        )
    [alert] = mail.outbox
    assert alert.to == ["reader@example.org"]
    assert "Rated “In progress”" in alert.subject
    assert "Work has started." in alert.body
    unsubscribe_path = link_in(alert, "/alerts/unsubscribe/")
    assert alert.extra_headers["List-Unsubscribe"] == (
        f"<https://tracker.example.org{unsubscribe_path}>"
    )
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    response = Client().post(unsubscribe_path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscriber.objects.count() == 0
    assert Subscription.objects.count() == 0
    assert not Notification.objects.filter(recipient="reader@example.org").exists()
    assert Suppression.objects.get().address_hash == address_hash("reader@example.org")

    mail.outbox.clear()
    with committed():
        workflow.record_verdict(
            pledge, status="stalled", rationale="Nothing since March.", actor=superuser
        )
    assert mail.outbox == []


def strip_csrf(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_answer_is_identical_whatever_the_address_has_done_before(client, pledge, committed):
    """New, pending, confirmed, unsubscribed: the page cannot tell them apart."""
    pages = {}
    with committed():
        pages["new"] = ask(client, "ann@example.org", pledge)
        pages["pending"] = ask(client, "ann@example.org", pledge)
    follow("bob@example.org", scope="pledge", pledge=pledge)
    with committed():
        pages["confirmed"] = ask(client, "bob@example.org", pledge)
    Suppression.suppress("cy@example.org", Suppression.Reason.UNSUBSCRIBED)
    with committed():
        pages["unsubscribed"] = ask(client, "cy@example.org", pledge)
    Suppression.suppress("dee@example.org", Suppression.Reason.STAFF)
    with committed():
        pages["suppressed by staff"] = ask(client, "dee@example.org", pledge)

    bodies = {state: strip_csrf(r.content.decode()) for state, r in pages.items()}
    assert {r.status_code for r in pages.values()} == {200}
    assert len(set(bodies.values())) == 1, bodies.keys()
    headers = {
        state: sorted(k for k in r.headers if k != "Set-Cookie") for state, r in pages.items()
    }
    assert len({tuple(h) for h in headers.values()}) == 1


def test_a_confirmed_address_is_told_it_is_already_subscribed(client, pledge, committed):
    follow("bob@example.org", scope="pledge", pledge=pledge, on_upcoming=True)
    with committed():
        ask(client, "bob@example.org", pledge, topics=["verdict"])
    [message] = mail.outbox
    assert "already" in message.subject
    assert "/alerts/manage/" in message.body
    assert "/alerts/confirm/" not in message.body
    # A stranger's request does not change what the reader chose.
    assert Subscription.objects.get().on_upcoming is True


def test_an_address_staff_suppressed_gets_no_email_at_all(client, pledge, committed):
    Suppression.suppress("dee@example.org", Suppression.Reason.STAFF)
    with committed():
        ask(client, "dee@example.org", pledge)
    assert mail.outbox == []


def test_an_address_that_left_may_come_back_through_the_double_opt_in(client, pledge, committed):
    Suppression.suppress("cy@example.org", Suppression.Reason.UNSUBSCRIBED)
    with committed():
        ask(client, "cy@example.org", pledge)
    client.post(link_in(mail.outbox[0], "/alerts/confirm/"))
    assert Subscription.objects.confirmed().count() == 1
    assert not Suppression.objects.exists()


def test_an_invalid_address_is_explained_next_to_the_field(client, pledge):
    response = ask(client, "not-an-address", pledge)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a complete email address, like name@example.org." in html
    assert html.index("Enter a complete email address") < html.index('name="email"')
    assert Subscriber.objects.count() == 0
    assert 'value="not-an-address"' in html  # what was typed is kept


def test_choosing_no_kind_of_news_is_explained(client, pledge):
    response = ask(client, "ann@example.org", pledge, topics=[])
    assert "Choose at least one kind of news." in response.content.decode()
    assert Subscriber.objects.count() == 0


def test_a_draft_pledge_cannot_be_followed(client, pledge):
    pledge.is_published = False
    pledge.save()
    response = ask(client, "ann@example.org", pledge)
    assert "That can no longer be followed." in response.content.decode()
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("pledge", "pledge"), ("company", "company"), ("all", "all")],
)
def test_each_scope_is_stored_with_its_target(client, pledge, committed, scope, expected):
    with committed():
        ask(client, "ann@example.org", pledge, scope=scope)
    subscription = Subscription.objects.get()
    assert subscription.scope == expected
    assert subscription.pledge == (pledge if scope == "pledge" else None)
    assert subscription.company == (pledge.company if scope == "company" else None)


def test_the_form_is_on_the_pledge_company_and_home_pages(client, pledge):
    pledge_html = client.get(pledge.get_absolute_url()).content.decode()
    assert 'value="pledge"' in pledge_html
    assert "Every pledge by Amazon" in pledge_html
    company_html = client.get(pledge.company.get_absolute_url()).content.decode()
    assert 'value="company"' in company_html
    assert 'value="pledge"' not in company_html
    home_html = client.get("/").content.decode()
    assert "Every pledge on the tracker" in home_html
    for html in (pledge_html, company_html, home_html):
        assert 'action="/alerts/"' in html
        assert "style=" not in html
        # The form needs no script; the page's own are files or data, nothing inline runs.
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", html)
        assert inline == []


def test_the_manage_page_changes_topics_and_stopping_everything_deletes_the_address(
    client, pledge, committed
):
    mine = follow("ann@example.org", scope="pledge", pledge=pledge)
    everything = follow("ann@example.org", scope="all")
    from commitments.alerts import tokens

    path = tokens.manage_url(mine.subscriber).removeprefix("https://tracker.example.org")
    assert "all pledges" in client.get(path).content.decode().lower()

    response = client.post(
        path,
        {f"topics_{mine.pk}": ["upcoming"], f"topics_{everything.pk}": ["verdict"]},
        follow=True,
    )
    assert "Your alerts are saved." in response.content.decode()
    mine.refresh_from_db()
    assert mine.topics == ["upcoming"]

    client.post(path, {f"remove_{mine.pk}": "on", f"topics_{everything.pk}": ["verdict"]})
    assert list(Subscription.objects.all()) == [everything]

    response = client.post(path, {"leave": "1"})
    assert "You're unsubscribed" in response.content.decode()
    assert Subscriber.objects.count() == 0
    assert Suppression.objects.count() == 1


def test_unconfirmed_requests_are_forgotten_when_their_link_expires(client, pledge, committed):
    import time_machine

    from commitments.alerts.subscriptions import purge_unconfirmed

    with time_machine.travel("2026-03-01 12:00Z"), committed():
        ask(client, "ann@example.org", pledge)
    follow("bob@example.org")
    with time_machine.travel("2026-03-03 12:00Z"):
        purge_unconfirmed()
    assert Subscriber.objects.count() == 2
    with time_machine.travel("2026-03-04 12:01Z"):
        purge_unconfirmed()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["bob@example.org"]
    assert sent_to("ann@example.org")  # the confirmation had gone out


def test_cached_public_pages_carry_no_csrf_token_and_sign_up_still_works(db, pledge):
    """A cached page must not hand one visitor's CSRF secret to the next visitor."""
    from django.test import Client

    from tests.factories import UserFactory

    staff = Client()
    staff.force_login(UserFactory(username="editor-first-visitor"))
    first = staff.get(pledge.get_absolute_url()).content.decode()
    stranger = Client(enforce_csrf_checks=True)
    cached = stranger.get(pledge.get_absolute_url()).content.decode()
    assert "csrfmiddlewaretoken" not in first
    assert cached == first
    response = stranger.post(
        "/alerts/", {"email": "reader@example.org", "scope": "pledge", "pledge": pledge.slug}
    )
    assert response.status_code == 200
