from django.conf import settings
from django.db import models


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Notification.Status.PENDING)

    def staff_reminders(self):
        return self.filter(kind__in=Notification.STAFF_REMINDER_KINDS)


class Notification(models.Model):
    """One email to one recipient about one occurrence: the unit of delivery.

    The unique constraint on (pledge, kind, occurrence, recipient) is what makes
    "never twice" hold even when sweeps overlap; the status column is the claim
    (pending → sending → sent/failed) that lets several workers share the work.
    """

    class Kind(models.TextChoices):
        UPCOMING = "upcoming", "Deadline coming up (staff)"
        PASSED = "passed", "Deadline passed (staff)"
        OVERDUE = "overdue", "Still awaiting a verdict (staff)"
        ALERT = "alert", "Subscriber alert"
        CONFIRM = "confirm", "Subscription confirmation"
        REPLY_REQUEST = "reply_request", "Request for comment (company)"
        REPLY_REMINDER = "reply_reminder", "Reply-by date in 3 days (company)"
        REPLY_RECEIVED = "reply_received", "Company replied (staff)"
        REPLY_LAPSED = "reply_lapsed", "No reply by the reply-by date (staff)"
        # One email listing a staff member's held reminders (commitments.domain.digests).
        DIGEST = "digest", "Daily digest of reminders (staff)"
        # Sources newly broken in the week before ``occurrence`` (commitments.domain.linkcheck).
        BROKEN_SOURCES = "broken_sources", "Weekly digest of broken sources (staff)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # No longer true when its turn came (a verdict was recorded, the deadline moved).
        SKIPPED = "skipped", "Skipped"
        # A staff reminder waiting for its recipient's daily digest; never sent on its own.
        HELD = "held", "Held for the daily digest"
        # A held reminder the digest (``digest``) took over.
        IN_DIGEST = "in_digest", "Listed in a digest"

    pledge = models.ForeignKey(
        "commitments.Pledge",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    event = models.ForeignKey(
        "commitments.PledgeEvent",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Which instance of the reminder this is, e.g. "2021-06-10/7d" for the 7-day warning.
    occurrence = models.CharField(max_length=100)
    recipient = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Subscriber alerts and confirmations: deleting the subscriber deletes its mail history too.
    subscriber = models.ForeignKey(
        "commitments.Subscriber",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Earliest moment a retry may be attempted (backoff); None = as soon as possible.
    retry_after = models.DateTimeField(null=True, blank=True)
    # First transient failure of this run of attempts: retries stop (failed) once it is
    # TRACKER_EMAIL_RETRY_LIFETIME_HOURS old. None = no failure yet, or retried by staff.
    failing_since = models.DateTimeField(null=True, blank=True)
    # When a send task was last handed to the broker; None = nobody will send it unless the
    # sweep re-queues it (never queued, or put back after a failed attempt).
    queued_at = models.DateTimeField(null=True, blank=True)
    # Identifies the batch that claimed the row (pending → sending), so a worker only ever
    # marks the rows it claimed itself.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    # For a reminder listed in a daily digest: that digest's own row.
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="listed"
    )

    STAFF_REMINDER_KINDS = (Kind.UPCOMING, Kind.PASSED, Kind.OVERDUE)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "kind", "occurrence", "recipient"],
                name="notification_once_per_recipient",
            ),
            # The constraint above cannot hold a digest (no pledge: NULLs never clash).
            models.UniqueConstraint(
                fields=["kind", "occurrence", "recipient"],
                condition=models.Q(kind="digest"),
                name="one_digest_per_recipient_and_day",
            ),
            models.UniqueConstraint(
                fields=["kind", "occurrence", "recipient"],
                condition=models.Q(kind="broken_sources"),
                name="one_broken_sources_digest_per_week",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "created_at"],
                name="notification_unfinished",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_held",
                condition=models.Q(status="held"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_status_display()})"
