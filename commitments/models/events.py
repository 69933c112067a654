from django.conf import settings
from django.db import models
from django.utils import timezone

from commitments.domain.amounts import short_amount
from commitments.domain.calendar import human_date, tracker_zone
from commitments.domain.validators import validate_plain_text
from commitments.models.pledges import FINAL_STATUSES, STATUS_LABELS, Status


class PledgeEventQuerySet(models.QuerySet):
    def current(self):
        """Events the corrected history still holds true (withdrawn ones are audit only)."""
        return self.filter(withdrawn_at__isnull=True)

    def public(self):
        """What readers see: current events of published pledges."""
        return self.current().filter(pledge__is_published=True)

    def withdrawn(self):
        return self.filter(withdrawn_at__isnull=False)

    def deadline_moves(self):
        return self.filter(kind=PledgeEvent.Kind.DEADLINE_CHANGED)


class PledgeEvent(models.Model):
    """One dated step in a pledge's history: what the public timeline is made of.

    Events are written by the workflow functions (``commitments.domain.workflow``) and the
    deadline sweep, never edited afterwards. They record *what happened*; who was
    told about it lives in ``Notification``.

    One thing may happen to an event later: a backdated correction (a deadline moved,
    or a final verdict that took effect, before the deadline passed) makes a
    system-written "deadline passed" untrue. It is then *withdrawn*: gone from the
    public history, kept here for the audit trail, and listed on the corrections page.
    """

    class Kind(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        DEADLINE_CHANGED = "deadline_changed", "Deadline moved"
        STATUS_CHANGED = "status_changed", "Verdict recorded"
        DEADLINE_PASSED = "deadline_passed", "Deadline passed"
        NOTE = "note", "Note"
        DISBURSEMENT = "disbursement", "Payment confirmed"
        PAYMENT_WITHDRAWN = "payment_withdrawn", "Payment withdrawn"
        COMPANY_REPLY = "company_reply", "Company replied"
        NO_REPLY = "no_reply", "No response"

    pledge = models.ForeignKey(
        "commitments.Pledge", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(help_text="The day it happened (or took effect).")
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    old_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    old_deadline = models.DateField(null=True, blank=True)
    new_deadline = models.DateField(null=True, blank=True)
    rationale = models.TextField(blank=True, max_length=10_000, validators=[validate_plain_text])
    sources = models.ManyToManyField(
        "commitments.Source", blank=True, related_name="events", help_text="Evidence for this step."
    )
    # For a "payment confirmed" event: the payment, which its headline reads. RESTRICT: a
    # payment the history tells of goes only with its pledge.
    disbursement = models.ForeignKey(
        "commitments.Disbursement",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        editable=False,
        related_name="events",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="withdrew",
        help_text="The correction that made this event untrue.",
    )
    withdrawn_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Set once subscriber alerts for this event have been fanned out (None = still to do).
    alerts_queued_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PledgeEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["-occurred_on", "-id"], name="event_timeline"),
            models.Index(
                fields=["recorded_at"],
                name="event_alerts_pending",
                condition=models.Q(alerts_queued_at__isnull=True),
            ),
        ]
        constraints = [
            # The sweep may run twice at once; the database keeps "deadline passed" single.
            # One current lapse per deadline: a withdrawn one does not block a real one later
            # (a deadline moved away, then back to a date that has passed).
            models.UniqueConstraint(
                fields=["pledge", "old_deadline"],
                condition=models.Q(kind="deadline_passed", withdrawn_at__isnull=True),
                name="event_deadline_passed_once",
            ),
            models.UniqueConstraint(
                fields=["pledge"],
                condition=models.Q(kind="announced"),
                name="event_announced_once",
            ),
        ]

    def __str__(self):
        return f"{self.occurred_on} {self.get_kind_display()}: {self.pledge}"

    @property
    def headline(self):
        """A short sentence for timelines, feeds and emails.

        A payment's reads its disbursement: select or prefetch ``disbursement`` in lists.
        """
        payment = None
        if self.kind in PAYMENT_KINDS and self.disbursement_id is not None:
            d = self.disbursement
            payment = (d.amount, d.currency, d.recipient)
        return self.describe(
            self.kind, self.new_status, self.old_deadline, self.new_deadline, payment
        )

    @classmethod
    def describe(cls, kind, new_status, old_deadline, new_deadline, payment=None):
        """``headline`` from the columns alone, for lists read without model instances.

        ``payment`` is (amount, currency, recipient) of a payment confirmed or withdrawn.
        """
        if kind in PAYMENT_KINDS:
            confirmed = kind == cls.Kind.DISBURSEMENT
            if payment is None:
                return "Payment confirmed" if confirmed else "Payment confirmation withdrawn"
            amount, currency, recipient = payment
            to = f" to {recipient}" if recipient else ""
            done = " confirmed" if confirmed else ": confirmation withdrawn"
            return f"{short_amount(amount, currency)}{to}{done}"
        if kind == cls.Kind.STATUS_CHANGED:
            return f"Rated “{STATUS_LABELS.get(new_status, new_status)}”"
        if kind == cls.Kind.DEADLINE_CHANGED:
            return "Deadline " + deadline_change(old_deadline, new_deadline)
        if kind == cls.Kind.DEADLINE_PASSED:
            return f"Deadline of {human_date(old_deadline)} passed"
        if kind == cls.Kind.ANNOUNCED:
            return "Pledge announced"
        if kind == cls.Kind.COMPANY_REPLY:
            return "The company replied to our request for comment"
        if kind == cls.Kind.NO_REPLY:
            return "No response to our request for comment"
        return "Note"

    @property
    def reply_request(self):
        """For a reply or "no response" event: the request for comment it answers (read
        through ``select_related("reply__request", "no_reply_request")``)."""
        if self.kind == self.Kind.COMPANY_REPLY:
            reply = getattr(self, "reply", None)
            return reply.request if reply is not None else None
        if self.kind == self.Kind.NO_REPLY:
            return getattr(self, "no_reply_request", None)
        return None

    @property
    def move_phrase(self):
        """For a deadline move: "extended on 18 May 2021 with no end date"."""
        on, old, new = human_date(self.occurred_on), self.old_deadline, self.new_deadline
        if new is None:
            return f"extended on {on} with no end date"
        if old is None:
            return f"set on {on} to {human_date(new)}"
        verb = "extended" if new > old else "brought forward"
        return f"{verb} on {on} to {human_date(new)}"

    @property
    def withdrawn_on(self):
        if self.withdrawn_at is None:
            return None
        return timezone.localdate(self.withdrawn_at, timezone=tracker_zone())

    def contradicts(self, correction):
        """Would ``correction`` (a backdated event) make this one untrue?

        "Deadline passed" says the deadline day ended with no final verdict. That is
        untrue if, on or before that day, the deadline moved or a final verdict took effect.
        """
        if self.kind != self.Kind.DEADLINE_PASSED or self.withdrawn_at is not None:
            return False
        # A move only rewrites the lapse of the deadline it moved, not an earlier one's.
        changes_story = (
            correction.kind == self.Kind.DEADLINE_CHANGED
            and correction.old_deadline == self.old_deadline
        ) or (
            correction.kind == self.Kind.STATUS_CHANGED and correction.new_status in FINAL_STATUSES
        )
        return changes_story and correction.occurred_on <= self.old_deadline


def deadline_change(old, new):
    """How a deadline moved, in words: "extended from 10 June 2021 to no end date"."""
    if old is None:
        return f"set to {human_date(new)}" if new else "left open"
    if new is None:
        return f"of {human_date(old)} extended with no end date"
    verb = "extended" if new > old else "brought forward"
    return f"{verb} from {human_date(old)} to {human_date(new)}"


# Events that tell of a payment: their headline reads it (``PledgeEvent.disbursement``).
PAYMENT_KINDS = frozenset({PledgeEvent.Kind.DISBURSEMENT, PledgeEvent.Kind.PAYMENT_WITHDRAWN})
