"""Hostile text in every user-entered field stays text on every surface that shows it.

Each corpus payload goes into every field staff (or an import) can fill; then every
public page, feed, export, email and admin page that shows those fields is rendered
and parsed. HTML surfaces must hold no script, event handler or script URL; data
surfaces (JSON, CSV, iCal, Atom) must parse and give the text back unchanged.
"""

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

import icalendar
import pytest
import time_machine
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from commitments.domain import calendar
from commitments.mail.alert_messages import _alert, _wanted
from commitments.mail.builders import build_message
from commitments.models import (
    Company,
    Disbursement,
    Notification,
    Page,
    Pledge,
    PledgeEvent,
    Source,
    Subscriber,
    Subscription,
)
from tests.security.corpus import BREAKOUT_URL, HOSTILE_URLS, PAYLOADS
from tests.security.html_checks import assert_inert

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    _alert.cache_clear()
    _wanted.cache_clear()


def store(obj):
    """Save as the admin would: only after the model's own validation accepts it."""
    obj.full_clean()
    obj.save()
    return obj


@pytest.fixture(params=sorted(PAYLOADS), ids=sorted(PAYLOADS))
def payload(request):
    return PAYLOADS[request.param]


@pytest.fixture
def world(db, payload):
    """The payload in every user-entered field, on pledges the public site shows."""
    today = calendar.today()
    company = store(
        Company(
            name=f"Evil {payload}"[:200],
            slug="evil",
            website=BREAKOUT_URL,
            description=payload,
        )
    )
    pledges = []
    for slug, deadline in [
        ("overdue", today - dt.timedelta(days=3)),
        ("soon", today + dt.timedelta(days=10)),
    ]:
        pledge = store(
            Pledge(
                company=company,
                title=f"{payload} {slug}"[:200],
                slug=slug,
                summary=f"Summary **bold** {payload}",
                success_criteria=payload,
                category=Pledge.Category.OTHER,
                announced_on=today - dt.timedelta(days=30),
                deadline=deadline,
                is_published=True,
                amount_pledged=1000,
                currency="USD",
            )
        )
        source = store(
            Source(
                pledge=pledge,
                url=BREAKOUT_URL,
                archive_url=BREAKOUT_URL + "archive",
                title=payload,
                publisher=payload,
                published_on=today - dt.timedelta(days=30),
            )
        )
        event = store(
            PledgeEvent(
                pledge=pledge,
                kind=PledgeEvent.Kind.STATUS_CHANGED,
                occurred_on=today - dt.timedelta(days=1),
                old_status=Pledge.Status.NOT_YET_RATED,
                new_status=Pledge.Status.IN_PROGRESS,
                rationale=payload,
            )
        )
        event.sources.add(source)
        # A confirmed payment to a recipient named by the payload, with its history event.
        payment = store(
            Disbursement(
                pledge=pledge,
                recipient=payload[:200],
                amount=10,
                currency="USD",
                paid_on=today - dt.timedelta(days=2),
                source=source,
            )
        )
        paid = store(
            PledgeEvent(
                pledge=pledge,
                kind=PledgeEvent.Kind.DISBURSEMENT,
                occurred_on=payment.paid_on,
                disbursement=payment,
            )
        )
        paid.sources.add(source)
        pledges.append(pledge)
    store(Page(slug="methodology", title=f"Method {payload}"[:200], body=payload))
    store(Page(slug="about-us", title=f"About {payload}"[:200], body=f"# Hi\n\n{payload}"))
    return {"company": company, "pledges": pledges, "event": event, "source": source}


def get_ok(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200, url
    return response


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def html_pages(world):
    company = world["company"]
    urls = [
        reverse("commitments:home"),
        reverse("commitments:companies"),
        reverse("commitments:company", args=[company.slug]),
        reverse("commitments:methodology"),
        reverse("commitments:page", args=["about-us"]),
        reverse("commitments:alerts-subscribe") + "?company=evil",
    ]
    for pledge in world["pledges"]:
        urls.append(reverse("commitments:pledge", args=[pledge.slug]))
        urls.append(reverse("commitments:alerts-subscribe") + f"?pledge={pledge.slug}")
    return urls


def test_public_pages_show_the_payload_only_as_text(client, world, payload):
    for url in html_pages(world):
        html = body(get_ok(client, url))
        assert_inert(html, url)
    # Searching for the payload echoes it into the page (the search box, the filter note).
    html = body(get_ok(client, reverse("commitments:home"), q=payload[:100], company="evil"))
    assert_inert(html, "search")


def test_rendered_markdown_keeps_the_words_but_not_the_markup(client, world):
    html = body(get_ok(client, reverse("commitments:pledge", args=["soon"])))
    assert "<strong>bold</strong>" in html


def test_atom_feeds_parse_and_carry_only_inert_html(client, world, payload):
    urls = [
        reverse("commitments:feed"),
        reverse("commitments:company_feed", args=["evil"]),
        reverse("commitments:pledge_feed", args=["soon"]),
    ]
    for url in urls:
        response = get_ok(client, url)
        assert response["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.content)  # noqa: S314 - our own output, under test
        entries = feed.findall(f"{ATOM}entry")
        assert entries, url
        for entry in entries:
            for element in entry:
                # type="html" content is HTML to a feed reader once XML-unescaped.
                if element.get("type") in ("html", "xhtml"):
                    assert_inert(element.text or "", f"{url} {element.tag}")
        titles = " ".join(e.findtext(f"{ATOM}title") for e in entries)
        assert payload.splitlines()[0].strip() in titles


def test_calendars_parse_and_hold_one_event_per_deadline(client, world, payload):
    for url, expected in [
        (reverse("commitments:calendar"), 2),
        (reverse("commitments:company_calendar", args=["evil"]), 2),
        (reverse("commitments:pledge_calendar", args=["soon"]), 1),
    ]:
        response = get_ok(client, url)
        assert response["Content-Type"].startswith("text/calendar")
        parsed = icalendar.Calendar.from_ical(response.content)
        events = parsed.walk("VEVENT")
        assert len(events) == expected, url  # a newline in a title cannot inject an event
        summaries = [str(event["SUMMARY"]) for event in events]
        # iCal folds line breaks to \n; the text is otherwise as stored.
        assert any(payload.replace("\r\n", "\n")[:40] in s for s in summaries), summaries


def strings(data):
    """Every string value in a decoded JSON document."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings(value)


def test_json_export_and_api_are_valid_json_with_the_text_unchanged(client, world, payload):
    response = get_ok(client, reverse("commitments:export_json"))
    assert response["Content-Type"] == "application/json"
    exported = json.loads(body(response))["pledges"]
    assert {p["success_criteria"] for p in exported} == {payload}

    for url in [
        reverse("commitments:api_pledges"),
        reverse("commitments:api_pledge", args=["soon"]),
        reverse("commitments:api_companies"),
        reverse("commitments:api_company", args=["evil"]),
        reverse("commitments:api_events"),
    ]:
        response = get_ok(client, url)
        assert response["Content-Type"] == "application/json", url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert any(payload in text for text in strings(response.json())), url


def test_csv_export_round_trips_the_text(client, world, payload):
    response = get_ok(client, reverse("commitments:export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert len(rows) == 2
    for row in rows:
        # A formula-looking cell gets a leading apostrophe; otherwise the text is as stored.
        assert row["success_criteria"] in (payload, "'" + payload)


def test_staff_reminder_and_subscriber_emails_have_inert_html(world, payload):
    soon = world["pledges"][1]
    deadline = soon.deadline.isoformat()
    subscriber = Subscriber.objects.create(email="reader@example.org")
    Subscription.objects.create(
        subscriber=subscriber, scope=Subscription.Scope.ALL, confirmed_at=timezone.now()
    )
    pending = Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="new@example.org"),
        scope=Subscription.Scope.PLEDGE,
        pledge=soon,
    )
    event = soon.events.get(kind=PledgeEvent.Kind.STATUS_CHANGED)
    notifications = [
        Notification(pledge=soon, kind="upcoming", occurrence=f"{deadline}/7d"),
        Notification(pledge=soon, kind="passed", occurrence=deadline),
        Notification(pledge=soon, kind="overdue", occurrence=f"{deadline}@{deadline}"),
        Notification(pledge=soon, event=event, kind="alert", subscriber=subscriber),
        Notification(
            kind="confirm",
            occurrence=f"subscription:{pending.pk}:now",
            subscriber=pending.subscriber,
            recipient=pending.subscriber.email,
        ),
    ]
    for n, notification in enumerate(notifications):
        notification.recipient = notification.recipient or f"r{n}@example.org"
        notification.occurrence = notification.occurrence or f"alert-{n}"
        notification.save()
    with time_machine.travel(timezone.now() - dt.timedelta(days=5)):
        # Five days before the deadline, so the "upcoming" reminder is still true.
        messages = [build_message(notification) for notification in notifications]
    for notification, message in zip(notifications, messages, strict=True):
        html = message.alternatives[0].content
        assert_inert(html, notification.kind)
        # One line: a newline in a header would make the send fail (or add a header).
        assert "\n" not in message.subject, notification.kind
        assert "\r" not in message.subject, notification.kind
        assert message.message()["Bcc"] is None
        if notification.kind != "confirm":
            assert "&lt;" in html or "<" not in payload, notification.kind


def admin_urls(world):
    urls = []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
    # Add forms show user text only in their choice lists (company, pledge).
    urls += [reverse("admin:commitments_pledge_add"), reverse("admin:commitments_source_add")]
    objects = [world["company"], world["source"], world["event"], *world["pledges"]]
    objects += list(Page.objects.all())
    for obj in objects:
        info = obj._meta.app_label, obj._meta.model_name
        urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    for pledge in world["pledges"]:
        urls.append(reverse("admin:commitments_pledge_history", args=[pledge.pk]))
        urls.append(reverse("admin:commitments_pledge_record_verdict", args=[pledge.pk]))
        urls.append(reverse("admin:commitments_pledge_move_deadline", args=[pledge.pk]))
    urls.append(reverse("admin:commitments_company_history", args=[world["company"].pk]))
    urls.append(reverse("admin:index"))
    return urls


def test_admin_lists_and_forms_show_the_payload_only_as_text(client, superuser, world, payload):
    client.force_login(superuser)
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="reader@example.org"),
        scope=Subscription.Scope.PLEDGE,
        pledge=world["pledges"][0],
        confirmed_at=timezone.now(),
    )
    queue = reverse("admin:commitments_pledgeawaitingverdict_changelist")
    assert "overdue" in body(get_ok(client, queue))  # the overdue pledge is in the queue
    for url in admin_urls(world):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        assert_inert(body(response), url)
    search = reverse("admin:commitments_pledge_changelist")
    assert_inert(body(get_ok(client, search, q=payload)), "admin search")


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize(
    ("model", "field"),
    [(Company, "website"), (Source, "url"), (Source, "archive_url")],
)
def test_url_fields_refuse_anything_but_web_addresses(db, model, field, url):
    with pytest.raises(ValidationError) as error:
        model(**{field: url}).full_clean()
    assert field in error.value.message_dict
