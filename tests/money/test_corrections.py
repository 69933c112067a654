"""A payment confirmed in error is withdrawn: it stops counting and leaves every public
page at once, the corrections page says what and why, and both rows stay for the audit."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from commitments.domain import workflow
from commitments.models import ContentVersion, Disbursement, Pledge
from tests.alerts.conftest import follow
from tests.factories import PledgeFactory, SourceFactory, UserFactory
from tests.money.test_payments import TODAY, errors, inline_post, pay

REASON = "The source reports $1M to Year Up, not $5M: entered in error."


def withdraw(pledge, payment, reason=REASON, actor=None):
    return workflow.withdraw_disbursement(pledge, payment, reason=reason, actor=actor)


@pytest.fixture
def mistake(donation, report):
    pay(donation, report, recipient="UNCF")
    return pay(donation, report, recipient="Year Up", amount=Decimal("5000000"))


def test_a_withdrawn_payment_stops_counting_towards_delivered(donation, mistake):
    assert donation.amount_delivered == Decimal("6000000")
    withdraw(donation, mistake)
    assert donation.amount_delivered == Decimal("1000000")
    assert Pledge.objects.with_money().get(pk=donation.pk).amount_delivered == Decimal("1000000")
    assert list(donation.disbursements.confirmed()) == [Disbursement.objects.get(recipient="UNCF")]


def test_every_public_page_drops_the_payment_at_once_and_the_corrections_page_says_why(
    client, donation, mistake
):
    before = ContentVersion.current()
    withdraw(donation, mistake)
    assert ContentVersion.current() != before  # every process's pages move on

    page = client.get(donation.get_absolute_url()).content.decode()
    assert '<th scope="row">UNCF</th>' in page
    assert '<th scope="row">Year Up</th>' not in page  # the payments table
    assert "<strong>USD 1,000,000</strong> (10.0%)" in page
    # Its history tells of the withdrawal instead; the corrections list what was withdrawn.
    assert "$5M to Year Up: confirmation withdrawn" in page
    assert "“$5M to Year Up confirmed”: Recorded in error." in page
    for url in ("/", "/feed/", "/api/v1/events/"):
        news = client.get(url).content.decode()
        assert "$5M to Year Up confirmed" not in news
        assert "$5M to Year Up: confirmation withdrawn" in news
    record = client.get(f"/api/v1/pledges/{donation.slug}/").json()
    assert record["amount_delivered"] == "1000000.00"
    assert [p["recipient"] for p in record["disbursements"]] == ["UNCF"]
    company_page = client.get(donation.company.get_absolute_url()).content.decode()
    assert "USD 1,000,000" in company_page
    assert "USD 6,000,000" not in company_page

    corrections = client.get(reverse("commitments:corrections")).content.decode()
    assert "we withdrew “$5M to Year Up confirmed”" in corrections
    assert "Why: Recorded in error." in corrections
    assert "not $5M: entered in error." in corrections  # the withdrawal's own words


def test_both_rows_stay_for_the_audit_trail(donation, mistake, superuser):
    withdraw(donation, mistake, actor=superuser)
    mistake.refresh_from_db()
    assert mistake.withdrawn_at is not None
    assert mistake.withdrawn_reason == REASON
    assert (mistake.amount, mistake.recipient) == (Decimal("5000000"), "Year Up")
    confirmed = mistake.events.get(kind="disbursement")
    assert confirmed.withdrawn_at == mistake.withdrawn_at
    assert confirmed.withdrawn_reason == "Recorded in error."
    correction = confirmed.withdrawn_by
    assert (correction.kind, correction.rationale) == ("payment_withdrawn", REASON)
    assert correction.headline == "$5M to Year Up: confirmation withdrawn"
    assert correction.recorded_by == superuser
    assert donation.history.first().history_change_reason.startswith(
        "Payment confirmation withdrawn"
    )
    assert mistake.history.first().history_change_reason == f"Confirmation withdrawn: {REASON}"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("  ", "Say why the confirmation is withdrawn"),
        ("x" * 301, "within 300 characters"),
        ("entered\x00in error", "control characters"),
    ],
)
def test_a_withdrawal_needs_a_public_reason(donation, mistake, reason, message):
    assert message in str(errors(lambda: withdraw(donation, mistake, reason=reason)))
    mistake.refresh_from_db()
    assert mistake.is_confirmed


def test_only_a_confirmed_payment_of_this_pledge_can_be_withdrawn(donation, report, mistake):
    announced = Disbursement.objects.create(pledge=donation, recipient="NAACP", currency="USD")
    assert "not confirmed" in str(errors(lambda: withdraw(donation, announced)))
    other = PledgeFactory(amount_pledged=Decimal("10"), currency="USD")
    assert "another pledge" in str(errors(lambda: withdraw(other, mistake)))
    withdraw(donation, mistake)
    assert "withdrawn already" in str(errors(lambda: withdraw(donation, mistake)))


def test_a_withdrawn_payment_is_recorded_again_as_a_new_one(donation, report, mistake):
    withdraw(donation, mistake)
    message = "record it as a new payment"
    assert message in str(errors(lambda: pay(donation, report, disbursement=mistake)))
    pay(donation, report, recipient="Year Up", amount=Decimal("1000000"))
    assert donation.amount_delivered == Decimal("2000000")


def test_staff_without_the_permission_cannot_withdraw(donation, mistake):
    with pytest.raises(PermissionDenied):
        withdraw(donation, mistake, actor=UserFactory(is_staff=True))


# --- The admin ---------------------------------------------------------------------


def withdraw_url(payment):
    return reverse(
        "admin:commitments_pledge_withdraw_payment", args=[payment.pledge_id, payment.pk]
    )


@time_machine.travel(TODAY)
def test_an_editor_withdraws_a_confirmation_from_the_pledge_page(editor_client, donation, mistake):
    change_url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    assert withdraw_url(mistake) in editor_client.get(change_url).content.decode()

    page = editor_client.get(withdraw_url(mistake))
    assert page.status_code == 200
    assert "Year Up" in page.content.decode()
    refused = editor_client.post(withdraw_url(mistake), {"reason": ""})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    assert Disbursement.objects.get(pk=mistake.pk).is_confirmed

    done = editor_client.post(withdraw_url(mistake), {"reason": REASON}, follow=True)
    assert done.redirect_chain[-1][0] == change_url
    assert "Withdrew the confirmation of USD 5000000.00 to Year Up." in done.content.decode()
    assert f"confirmation withdrawn: {REASON}" in done.content.decode()
    assert Disbursement.objects.get(pk=mistake.pk).is_withdrawn


@time_machine.travel(TODAY)
def test_a_withdrawn_row_stays_read_only_and_cannot_be_deleted(editor_client, donation, mistake):
    withdraw(donation, mistake)
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    rows = [
        {"id": payment.pk, "pledge": donation.pk, "recipient": "Changed", "amount": "1"}
        for payment in Disbursement.objects.order_by("pk")
    ]
    editor_client.post(url, inline_post(donation, rows, initial=2))
    mistake.refresh_from_db()
    assert (mistake.recipient, mistake.amount) == ("Year Up", Decimal("5000000"))

    admin = UserFactory(is_staff=True, is_superuser=True)  # may delete rows
    editor_client.force_login(admin)
    rows[1] |= {"DELETE": "on"}
    response = editor_client.post(url, inline_post(donation, rows, initial=2))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    assert "Year Up" in str(formset.non_form_errors())  # refused, with the row named
    assert Disbursement.objects.filter(pk=mistake.pk).exists()


def test_the_withdraw_page_refuses_other_roles_and_other_pledges(client, donation, mistake, db):
    reader = UserFactory(is_staff=True)
    client.force_login(reader)
    response = client.get(withdraw_url(mistake))
    assert response.status_code == 403
    assert "needs the Editor or Reviewer role" in response.content.decode()

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    other = PledgeFactory()
    url = reverse("admin:commitments_pledge_withdraw_payment", args=[other.pk, mistake.pk])
    assert client.get(url).status_code == 404


@time_machine.travel(TODAY)
def test_the_payments_table_no_longer_counts_a_withdrawn_payment(editor_client, donation, mistake):
    """The right payment is then recorded on the same page, and the pledge still saves."""
    withdraw(donation, mistake)
    url = reverse("admin:commitments_pledge_change", args=[donation.pk])
    existing = [
        {"id": payment.pk, "pledge": donation.pk} for payment in Disbursement.objects.order_by("pk")
    ]
    right = {
        "recipient": "Year Up",
        "amount": "5000000",  # $1M + $5M (withdrawn) + $5M would pass the $10M pledged
        "currency": "USD",
        "paid_on": "2020-06-07",
        "source": donation.sources.get().pk,
        "pledge": donation.pk,
    }
    response = editor_client.post(url, inline_post(donation, [*existing, right], initial=2))
    assert response.status_code == 302
    donation.refresh_from_db()
    assert donation.amount_delivered == Decimal("6000000")
    retitled = inline_post(donation, existing + [{"id": donation.disbursements.last().pk}], 3)
    response = editor_client.post(url, retitled | {"title": "Donate $10 million (edited)"})
    assert response.status_code == 302


def test_a_withdrawn_payment_no_longer_holds_the_pledges_amount(db):
    pledge = PledgeFactory(amount_pledged=Decimal("10000000"), currency="USD")
    only = pay(pledge, SourceFactory(pledge=pledge))
    withdraw(pledge, only)
    pledge.amount_pledged, pledge.currency = None, ""
    pledge.full_clean()  # no "payments are recorded against this pledge"


def test_the_year_filter_ignores_a_withdrawn_event(client, donation, mistake):
    withdraw(donation, mistake)
    donation.events.exclude(disbursement=mistake).delete()  # its only 2020 event: withdrawn
    assert client.get("/api/v1/pledges/?year=2020").json()["data"] == []
    assert client.get("/api/v1/pledges/?year=2026").json()["data"]  # the withdrawal's year


def test_the_demo_loads_again_over_a_withdrawn_payment(db):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    payment = Disbursement.objects.filter(source__isnull=False).first()
    withdraw(payment.pledge, payment)
    call_command("load_demo", verbosity=0)
    payment.refresh_from_db()
    assert payment.is_withdrawn
    assert not Disbursement.objects.filter(recipient=payment.recipient).exclude(pk=payment.pk)


def test_followers_told_of_the_payment_hear_it_was_withdrawn_once(
    donation, report, superuser, alerts_sent_at_commit
):
    follow("ann@example.org", scope="pledge", pledge=donation)
    follow("bob@example.org", scope="all", on_money=False)
    with alerts_sent_at_commit():
        mistake = pay(donation, report, recipient="Year Up", amount=Decimal("5000000"))
    with alerts_sent_at_commit():
        withdraw(donation, mistake, actor=superuser)
    assert [m.to for m in mail.outbox] == [["ann@example.org"]] * 2
    told = mail.outbox[1]
    assert "$5M to Year Up: confirmation withdrawn" in told.subject
    assert f"Why: {REASON}" in told.body
    assert 'This corrects our earlier entry "$5M to Year Up confirmed", now withdrawn' in told.body
