"""Payments under races, for real on PostgreSQL: two withdrawals of one payment keep one; a
withdrawal racing a new confirmation never lets delivered pass the pledge."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from commitments.domain import workflow
from commitments.models import Disbursement, PledgeEvent
from tests.concurrency import at_once, postgres_only
from tests.money.test_payments import pay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only(db):
    postgres_only()


def withdraw(pledge, payment):
    return lambda: workflow.withdraw_disbursement(
        pledge, payment, reason="Typed wrong.", actor=None
    )


def test_two_withdrawals_at_once_keep_one(donation, report):
    for round_ in range(5):
        mistake = pay(donation, report, recipient=f"Mistake {round_}")
        outcomes = at_once(withdraw(donation, mistake), withdraw(donation, mistake))
        done = [o for o in outcomes if isinstance(o, Disbursement)]
        refused = [o for o in outcomes if isinstance(o, ValidationError)]
        assert (len(done), len(refused)) == (1, 1), outcomes
        assert "withdrawn already" in str(refused[0])
        assert mistake.events.filter(kind=PledgeEvent.Kind.PAYMENT_WITHDRAWN).count() == 1


def test_a_withdrawal_racing_a_confirmation_never_overshoots_the_pledge(donation, report):
    pay(donation, report, recipient="UNCF")
    mistake = pay(donation, report, recipient="Year Up", amount=Decimal("5000000"))
    right = lambda: pay(donation, report, recipient="NAACP", amount=Decimal("5000000"))  # noqa: E731
    withdrawn, confirmed = at_once(withdraw(donation, mistake), right)
    assert isinstance(withdrawn, Disbursement), withdrawn
    # Serialised on the pledge: the confirmation fits if the withdrawal went first.
    assert isinstance(confirmed, Disbursement | ValidationError), confirmed
    donation.refresh_from_db()
    delivered = donation.amount_delivered
    assert delivered == (
        Decimal("6000000") if isinstance(confirmed, Disbursement) else Decimal("1000000")
    )
    assert delivered <= donation.amount_pledged
