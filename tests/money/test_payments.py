"""Money followed: payments, each confirmed by a source, make up "delivered"; each
confirmation is a dated event that reaches the history, timeline, feeds, API and followers."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.domain import workflow
from commitments.models import Disbursement, PledgeEvent
from tests.alerts.conftest import follow
from tests.factories import (
    CompanyFactory,
    PledgeFactory,
    SourceFactory,
    UserFactory,
)

TODAY = dt.datetime(2021, 3, 1, 12, tzinfo=dt.UTC)


def pay(pledge, cited, actor=None, **overrides):
    fields = {
        "recipient": "UNCF",
        "amount": Decimal("1000000"),
        "currency": "USD",
        "paid_on": dt.date(2020, 6, 7),
        "source": cited,
        "actor": actor,
    }
    return workflow.record_disbursement(pledge, **(fields | overrides))


def errors(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- The model and the workflow ------------------------------------------------------


def test_delivered_is_the_sum_of_confirmed_payments_and_unknown_until_one_is(donation, report):
    assert donation.amount_delivered is None
    assert donation.amount_unconfirmed == Decimal("10000000")
    Disbursement.objects.create(pledge=donation, recipient="NAACP", currency="USD")
    Disbursement.objects.create(
        pledge=donation, recipient="Year Up", amount=500, currency="USD"
    )  # announced, not confirmed: never counted
    pay(donation, report, recipient="UNCF")
    pay(donation, report, recipient="Thurgood Marshall College Fund")
    assert donation.amount_delivered == Decimal("2000000")
    assert donation.amount_unconfirmed == Decimal("8000000")
    assert donation.delivered_percent == Decimal("20.0")


def test_a_payment_is_a_dated_sourced_event_in_the_history(donation, report, superuser):
    payment = pay(donation, report, actor=superuser, rationale="Reported by Diverse.")
    [event] = donation.events.filter(kind=PledgeEvent.Kind.DISBURSEMENT)
    assert event.disbursement == payment
    assert event.headline == "$1M to UNCF confirmed"
    assert event.occurred_on == dt.date(2020, 6, 7)
    assert list(event.sources.all()) == [report]
    assert (event.recorded_by, payment.recorded_by) == (superuser, superuser)
    assert donation.version == 2  # the workflow's version moved, as for a verdict


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-5")}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"paid_on": dt.date(2099, 1, 1)}, "paid_on"),
        ({"paid_on": None}, "paid_on"),
        ({"recipient": "  "}, "recipient"),
        ({"source": None}, "source"),
    ],
)
def test_bad_payments_are_refused_with_a_clear_error(donation, report, overrides, field):
    assert field in errors(lambda: pay(donation, report, **overrides))
    assert not Disbursement.objects.exists()
    assert not donation.events.filter(kind="disbursement").exists()


def test_a_source_of_another_pledge_cannot_confirm_a_payment(donation, pledge):
    elsewhere = SourceFactory(pledge=pledge)
    assert errors(lambda: pay(donation, elsewhere))["source"] == [
        "The source must belong to this pledge."
    ]


def test_payments_beyond_the_pledge_need_the_explicit_tick(donation, report):
    pay(donation, report, amount=Decimal("9000000"))
    assert "amount" in errors(lambda: pay(donation, report, amount=Decimal("2000000")))
    donation.delivered_may_exceed_pledged = True
    donation.save()
    pay(donation, report, amount=Decimal("2000000"), recipient="NAACP")
    assert donation.amount_delivered == Decimal("11000000")


def test_a_pledge_without_an_amount_takes_no_payments(pledge):
    source = SourceFactory(pledge=pledge)
    assert "amount" in errors(lambda: pay(pledge, source))


def test_an_announced_payment_is_confirmed_in_place(donation, report):
    announced = Disbursement.objects.create(pledge=donation, recipient="UNCF", currency="USD")
    pay(donation, report, disbursement=announced)
    announced.refresh_from_db()
    assert announced.is_confirmed
    assert Disbursement.objects.count() == 1
    assert "source" in errors(lambda: pay(donation, report, disbursement=announced))


def test_staff_without_the_permission_cannot_record_payments(donation, report):
    nobody = UserFactory(username="nobody", is_staff=True)
    with pytest.raises(PermissionDenied):
        pay(donation, report, actor=nobody)


def test_a_payment_the_history_tells_of_cannot_be_deleted_alone(donation, report):
    from django.db.models import RestrictedError

    payment = pay(donation, report)
    with pytest.raises(RestrictedError):
        payment.delete()
    donation.delete()  # with its pledge, it goes
    assert not Disbursement.objects.exists()


# --- Followers --------------------------------------------------------------------


def test_followers_hear_of_a_confirmed_payment_unless_they_opted_out(
    donation, report, superuser, alerts_sent_at_commit
):
    follow("ann@example.org", scope="pledge", pledge=donation)
    follow("bob@example.org", scope="all", on_money=False)
    with alerts_sent_at_commit():
        pay(donation, report, actor=superuser)
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    assert "$1M to UNCF confirmed" in mail.outbox[0].subject
    assert "$1M to UNCF confirmed (7 June 2020)" in mail.outbox[0].body


# --- Public pages ------------------------------------------------------------------


def test_the_pledge_page_shows_pledged_confirmed_unconfirmed_and_each_recipient(
    client, donation, report
):
    Disbursement.objects.create(pledge=donation, recipient="NAACP", currency="USD")
    pay(donation, report)
    html = client.get(donation.get_absolute_url()).content.decode()
    assert '<progress class="money-bar" max="10000000.00" value="1000000.00"' in html
    assert "<strong>USD 10,000,000</strong>" in html
    assert "<strong>USD 1,000,000</strong> (10.0%)" in html
    assert "<strong>USD 9,000,000</strong> announced, delivery not confirmed" in html
    assert '<th scope="row">UNCF</th>' in html
    assert 'href="https://diverse.example.com/amazon-1m"' in html
    assert '<th scope="row">NAACP</th>\n    <td>not confirmed</td>' in html
    assert "$1M to UNCF confirmed" in html  # the history


def test_unknown_delivery_never_reads_as_zero(client, donation):
    Disbursement.objects.create(pledge=donation, recipient="NAACP", currency="USD")
    html = client.get(donation.get_absolute_url()).content.decode()
    assert "none confirmed yet" in html
    assert 'aria-label="Confirmed delivered: unknown"' in html
    assert "value=" not in html.split('class="money-bar"')[1].split(">")[0]
    assert "USD 0" not in html
    assert "(0.0%)" not in html


def test_the_timeline_feeds_and_api_carry_the_payment(client, donation, report):
    pay(donation, report)
    assert "$1M to UNCF confirmed" in client.get("/").content.decode()
    assert "$1M to UNCF confirmed" in client.get("/feed/").content.decode()
    events = client.get("/api/v1/events/").json()["data"]
    assert events[0]["kind"] == "disbursement"
    assert events[0]["headline"] == "$1M to UNCF confirmed"
    record = client.get(f"/api/v1/pledges/{donation.slug}/").json()
    assert (record["amount_delivered"], record["amount_unconfirmed"]) == (
        "1000000.00",
        "9000000.00",
    )
    assert record["disbursements"] == [
        {
            "recipient": "UNCF",
            "amount": "1000000.00",
            "currency": "USD",
            "paid_on": "2020-06-07",
            "confirmed": True,
            "source_url": "https://diverse.example.com/amazon-1m",
        }
    ]
    [row] = client.get("/api/v1/pledges/").json()["data"]
    assert row["amount_delivered"] == "1000000.00"
    csv = b"".join(client.get("/pledges.csv").streaming_content).decode()
    assert "1000000.00" in csv


def test_the_company_page_totals_each_currency_without_converting(client, company, donation):
    pay(donation, SourceFactory(pledge=donation))
    PledgeFactory(
        company=company, amount_pledged=Decimal("500000"), currency="EUR", is_published=True
    )
    html = client.get(company.get_absolute_url()).content.decode()
    figures = [
        " ".join(dl.split())
        for dl in re.findall(r'<dl class="money-figures money-totals">(.*?)</dl>', html, re.S)
    ]
    assert figures == [
        "<div><dt>Currency</dt><dd><strong>EUR</strong></dd></div> <div><dt>Pledged</dt>"
        "<dd>EUR 500,000</dd></div> <div><dt>Confirmed delivered</dt><dd>none confirmed yet"
        "</dd></div> <div><dt>Unconfirmed</dt><dd>EUR 500,000</dd></div>",
        "<div><dt>Currency</dt><dd><strong>USD</strong></dd></div> <div><dt>Pledged</dt>"
        "<dd>USD 10,000,000</dd></div> <div><dt>Confirmed delivered</dt><dd>USD 1,000,000"
        "</dd></div> <div><dt>Unconfirmed</dt><dd>USD 9,000,000</dd></div>",
    ]


def test_payments_of_an_unpublished_pledge_stay_private(client, company):
    draft = PledgeFactory(
        company=company, amount_pledged=Decimal("100"), currency="USD", is_published=False
    )
    PledgeFactory(company=company, is_published=True)
    pay(draft, SourceFactory(pledge=draft), recipient="Hidden Foundation", amount=Decimal("5"))
    for url in ["/", "/feed/", "/api/v1/events/", "/api/v1/pledges/", company.get_absolute_url()]:
        response = client.get(url)
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert "Hidden Foundation" not in body, url
        assert "USD 5" not in body, url
    assert client.get(draft.get_absolute_url()).status_code == 404


def page_queries(client, url):
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["pledge", "api"])
def test_the_pledge_page_costs_the_same_queries_for_5_or_50_payments(client, donation, path):
    url = donation.get_absolute_url() if path == "pledge" else f"/api/v1/pledges/{donation.slug}/"
    source = SourceFactory(pledge=donation)

    def add(n):
        for _ in range(n):
            pay(donation, source, recipient=f"Charity {Disbursement.objects.count()}", amount=10)
            Disbursement.objects.create(pledge=donation, recipient="Announced", currency="USD")

    add(5)
    few = page_queries(client, url)
    add(45)
    assert page_queries(client, url) == few
    if path == "pledge":
        assert few <= 5  # as before payments existed


# --- The admin ---------------------------------------------------------------------


def inline_post(pledge, rows, initial=0):
    data = {
        "company": pledge.company.pk,
        "title": pledge.title,
        "success_criteria": pledge.success_criteria,
        "category": pledge.category,
        "announced_on": pledge.announced_on.isoformat(),
        "is_published": "on",
        "slug": pledge.slug,
        "amount_pledged": str(pledge.amount_pledged),
        "currency": pledge.currency,
        "sources-TOTAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
        "disbursements-TOTAL_FORMS": len(rows),
        "disbursements-INITIAL_FORMS": initial,
    }
    for i, row in enumerate(rows):
        data |= {f"disbursements-{i}-{k}": v for k, v in row.items()}
    return data


@time_machine.travel(TODAY)
def test_an_editor_records_a_confirmed_payment_in_the_inline(editor_client, donation, report):
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    row = {
        "recipient": "UNCF",
        "amount": "1000000",
        "currency": "",
        "paid_on": "2020-06-07",
        "source": report.pk,
        "pledge": donation.pk,
    }
    response = editor_client.post(url, inline_post(donation, [row]))
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    payment = Disbursement.objects.get()
    assert (payment.currency, payment.recorded_by.username) == ("USD", "eddie")
    assert donation.events.get(kind="disbursement").headline == "$1M to UNCF confirmed"
    # Confirmed rows are read-only afterwards: a changed amount is ignored.
    row |= {"id": payment.pk, "amount": "5"}
    editor_client.post(url, inline_post(donation, [row], initial=1))
    payment.refresh_from_db()
    assert payment.amount == Decimal("1000000")


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0"}, "The amount must be more than zero."),
        ({"currency": "EUR"}, "Payments are recorded in the pledge's currency, USD."),
        ({"paid_on": "2021-03-02"}, "The payment date cannot be in the future."),
        ({"source": "other"}, "Select a valid choice."),
    ],
)
def test_the_inline_refuses_bad_payments(editor_client, donation, report, pledge, change, message):
    if change.get("source") == "other":
        change = {"source": SourceFactory(pledge=pledge).pk}
    row = {
        "recipient": "UNCF",
        "amount": "1000000",
        "currency": "USD",
        "paid_on": "2020-06-07",
        "source": report.pk,
        "pledge": donation.pk,
    } | change
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    response = editor_client.post(url, inline_post(donation, [row]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert message in str(formset.errors)
    assert not Disbursement.objects.exists()


@time_machine.travel(TODAY)
def test_the_inline_refuses_payments_beyond_the_pledge(editor_client, donation, report):
    row = {
        "recipient": "UNCF",
        "amount": "20000000",
        "currency": "USD",
        "paid_on": "2020-06-07",
        "source": report.pk,
        "pledge": donation.pk,
    }
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    response = editor_client.post(url, inline_post(donation, [row]))
    assert response.status_code == 200
    assert "more than the $10M pledged" in str(
        response.context["inline_admin_formsets"][1].formset.non_form_errors()
    )


@time_machine.travel(TODAY)
def test_an_announced_recipient_is_saved_without_an_event(editor_client, donation):
    row = {"recipient": "NAACP", "amount": "", "currency": "", "paid_on": "", "source": ""}
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    response = editor_client.post(url, inline_post(donation, [row | {"pledge": donation.pk}]))
    assert response.status_code == 302
    payment = Disbursement.objects.get()
    assert not payment.is_confirmed
    assert not donation.events.filter(kind="disbursement").exists()


def test_company_pages_of_other_companies_show_no_money_table(client, db):
    other = CompanyFactory(name="IBM", slug="ibm")
    PledgeFactory(company=other, is_published=True)
    assert "money-totals" not in client.get(other.get_absolute_url()).content.decode()


def test_the_admin_change_page_costs_the_same_queries_for_5_or_50_payments(
    editor_client, donation, report
):
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])

    def add(n):
        for i in range(n):
            Disbursement.objects.create(pledge=donation, recipient=f"R{i}", currency="USD")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(url).status_code == 200
        return len(captured)

    add(5)
    editor_client.get(url)  # warm process-wide caches
    few = queries()
    add(45)
    assert queries() == few


def test_a_company_total_counts_each_pledges_gap_even_when_another_over_delivered(client, company):
    generous = PledgeFactory(
        company=company,
        amount_pledged=Decimal("10"),
        currency="USD",
        delivered_may_exceed_pledged=True,
        is_published=True,
    )
    pay(generous, SourceFactory(pledge=generous), amount=Decimal("15"))
    PledgeFactory(company=company, amount_pledged=Decimal("10"), currency="USD", is_published=True)
    html = " ".join(client.get(company.get_absolute_url()).content.decode().split())
    # 15 of 20 delivered overall, but the second pledge's 10 is still unconfirmed.
    assert "<dt>Unconfirmed</dt><dd>USD 10</dd>" in html
