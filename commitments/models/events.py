from django.conf import settings
from django.db import models

from commitments.models.pledges import STATUS_LABELS, Status
from commitments.validators import validate_plain_text


class PledgeEventQuerySet(models.QuerySet):
    def public(self):
        return self.filter(pledge__is_published=True)

    def deadline_moves(self):
        return self.filter(kind=PledgeEvent.Kind.DEADLINE_CHANGED)


class PledgeEvent(models.Model):
    """One dated step in a pledge's history: what the public timeline is made of.

    Events are written by the workflow functions (``commitments.workflow``) and the
    deadline sweep, never edited afterwards. They record *what happened*; who was
    told about it lives in ``Notification``.
    """

    class Kind(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        DEADLINE_CHANGED = "deadline_changed", "Deadline moved"
        STATUS_CHANGED = "status_changed", "Verdict recorded"
        DEADLINE_PASSED = "deadline_passed", "Deadline passed"
        NOTE = "note", "Note"

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
            models.UniqueConstraint(
                fields=["pledge", "old_deadline"],
                condition=models.Q(kind="deadline_passed"),
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
        """A short sentence for timelines, feeds and emails."""
        return self.describe(self.kind, self.new_status, self.old_deadline, self.new_deadline)

    @classmethod
    def describe(cls, kind, new_status, old_deadline, new_deadline):
        """``headline`` from the columns alone, for lists read without model instances."""
        if kind == cls.Kind.STATUS_CHANGED:
            return f"Rated “{STATUS_LABELS.get(new_status, new_status)}”"
        if kind == cls.Kind.DEADLINE_CHANGED:
            new = new_deadline.isoformat() if new_deadline else "no end date"
            old = old_deadline.isoformat() if old_deadline else "no end date"
            return f"Deadline moved from {old} to {new}"
        if kind == cls.Kind.DEADLINE_PASSED:
            return f"Deadline of {old_deadline.isoformat()} passed"
        if kind == cls.Kind.ANNOUNCED:
            return "Pledge announced"
        return "Note"
