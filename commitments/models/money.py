"""Money followed: each payment towards a money pledge, and the source that confirms it.

A pledge's "delivered" figure is never typed in: it is the sum of its *confirmed*
disbursements, those a cited source confirms (``source`` set, with an amount). A row
without a source names a recipient the company announced whose payment no source
confirms yet; its amount, if known, is what was announced, never counted as delivered.

Confirmed rows are written by ``commitments.domain.workflow.record_disbursement``, with
the dated event that tells the pledge's followers; afterwards they are not edited (the
event's headline reads them), which the database keeps by refusing to delete a row an
event still points at. A confirmation recorded in error is *withdrawn*
(``workflow.withdraw_disbursement``): the row stays, frozen, for the audit trail and the
corrections page, and counts for nothing and is shown nowhere else.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from commitments.domain.validators import validate_plain_text


class DisbursementQuerySet(models.QuerySet):
    def current(self):
        """Rows the record still holds true: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)

    def confirmed(self):
        return self.current().filter(source__isnull=False, amount__isnull=False)

    def public(self):
        """Rows of published pledges: what public pages and exports may show."""
        return self.current().filter(pledge__is_published=True)

    def for_listing(self):
        """Dated payments first, oldest first, then those without a date (announced ones);
        withdrawn confirmations left out (the corrections page tells of them)."""
        return (
            self.current()
            .select_related("source")
            .order_by(models.F("paid_on").asc(nulls_last=True), "recipient", "pk")
        )


class Disbursement(models.Model):
    pledge = models.ForeignKey(
        "commitments.Pledge", on_delete=models.CASCADE, related_name="disbursements"
    )
    recipient = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_plain_text],
        help_text="The organisation paid, as the source names it.",
    )
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Empty when no source gives the amount.",
    )
    currency = models.CharField(max_length=3, help_text="ISO 4217 code; the pledge's currency.")
    paid_on = models.DateField(
        "date", null=True, blank=True, help_text="The day the money was paid or reported paid."
    )
    # RESTRICT: a source that confirms money goes only with its pledge.
    source = models.ForeignKey(
        "commitments.Source",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="disbursements",
        help_text="The source that confirms the payment. Without one, the payment is "
        "announced, not confirmed, and does not count as delivered.",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.CharField(max_length=300, blank=True, editable=False)

    history = HistoricalRecords()
    objects = DisbursementQuerySet.as_manager()

    class Meta:
        ordering = ["recipient", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="disbursement_positive"
            ),
            # A confirmed payment has an amount: "confirmed" with no figure would count as 0.
            models.CheckConstraint(
                condition=Q(source__isnull=True) | Q(amount__isnull=False),
                name="disbursement_confirmed_has_amount",
            ),
        ]

    def __str__(self):
        return f"{self.currency} {self.amount or '?'} to {self.recipient or 'an unnamed recipient'}"

    def save(self, *args, **kwargs):
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)

    @property
    def is_confirmed(self):
        return self.source_id is not None and self.amount is not None and not self.is_withdrawn

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None


def confirmed_total(disbursements):
    """Sum of the confirmed rows in ``disbursements``; None when none is confirmed."""
    amounts = [d.amount for d in disbursements if d.is_confirmed]
    return sum(amounts, Decimal(0)) if amounts else None
