"""The right of reply: whom staff may ask at a company, what they asked, and the answer.

A ``ReplyRequest`` asks one company about one pledge, through one or more of its
``CompanyContact`` rows (each gets the same link: a forwarded link works for a colleague).
It holds at most one ``Reply``. Its state is derived from its dates, never stored:

    cancelled  staff cancelled it (the link is dead)
    answered   a reply was submitted (whether or not staff published it)
    expired    the reply-by day ended unanswered ("no response")
    opened     the reply link was visited: by a person, or by a mail scanner checking it
    sent       none of the above yet

Contacts are never public. A request is shown publicly only once it has concluded in a
way readers may see: its reply was published, or its reply-by day ended with no reply
at all (``ReplyRequestQuerySet.public``).
"""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from commitments.domain import calendar
from commitments.domain.validators import validate_plain_text

REPLY_BODY_MAX = 10_000
REPLY_LINKS_MAX = 10
REPLY_LINK_MAX_LENGTH = 500


class CompanyContact(models.Model):
    """Someone at a company who may be asked for a response. Staff only, never public."""

    company = models.ForeignKey(
        "commitments.Company", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    role = models.CharField(max_length=200, blank=True, validators=[validate_plain_text])
    email = models.EmailField(max_length=254)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "email"], name="contact_once_per_company")
        ]

    def __str__(self):
        role = f", {self.role}" if self.role else ""
        return f"{self.name}{role} <{self.email}>"


class ReplyRequestQuerySet(models.QuerySet):
    def not_cancelled(self):
        return self.filter(cancelled_at__isnull=True)

    def open(self):
        """Awaiting the company: not cancelled, unanswered, reply-by day not over yet.
        Only an open request can be cancelled."""
        return self.not_cancelled().filter(answered_at__isnull=True, reply_by__gte=calendar.today())

    def unanswered_past(self, day):
        """Not cancelled, unanswered, and the reply-by day ended before ``day``."""
        return self.not_cancelled().filter(answered_at__isnull=True, reply_by__lt=day)

    def public(self):
        """What readers may see: on published pledges, the requests whose story is in the
        public history: a published reply, or the "no response" the sweep recorded when the
        reply-by day ended unanswered. An unpublished or withheld reply that came in time
        keeps its request off public pages (saying "did not respond" would be false)."""
        return self.filter(pledge__is_published=True).filter(
            Q(reply__event__isnull=False) | Q(no_reply_event__isnull=False)
        )


class ReplyRequest(models.Model):
    class State(models.TextChoices):
        SENT = "sent", "Sent"
        OPENED = "opened", "Link visited"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "No response"
        CANCELLED = "cancelled", "Cancelled"

    pledge = models.ForeignKey(
        "commitments.Pledge", on_delete=models.CASCADE, related_name="reply_requests"
    )
    contacts = models.ManyToManyField(CompanyContact, related_name="requests")
    question = models.TextField(max_length=10_000, validators=[validate_plain_text])
    reply_by = models.DateField(help_text="The last day the company has to reply.")
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Bookkeeping (left out of the content-version triggers): first visit of the reply page,
    # and the contacts' one reminder.
    opened_at = models.DateTimeField(
        "link first visited",
        null=True,
        blank=True,
        help_text="Email security scanners often visit links as a message arrives, so a visit "
        "alone does not show that someone at the company read the request.",
    )
    contacts_reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Set once by the sweep when the reply-by day ended unanswered (staff are reminded once);
    # watched by the content version, so public pages say "did not respond" from then on.
    lapsed_at = models.DateTimeField(null=True, blank=True)
    # The "no response" event the sweep wrote in the pledge's history at the lapse. It stays
    # true if a late reply comes (the company did not respond *by* the date).
    no_reply_event = models.OneToOneField(
        "commitments.PledgeEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="no_reply_request",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A final verdict recorded while this request was open: who, when and why.
    verdict_anyway_at = models.DateTimeField(null=True, blank=True)
    verdict_anyway_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verdict_anyway_reason = models.TextField(blank=True, max_length=2000)

    objects = ReplyRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(
                fields=["reply_by"],
                name="reply_request_awaiting",
                condition=Q(answered_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"Request for comment on {self.pledge} ({self.sent_on})"

    @property
    def sent_on(self):
        return timezone.localdate(self.sent_at, timezone=calendar.tracker_zone())

    @property
    def answered_on(self):
        if self.answered_at is None:
            return None
        return timezone.localdate(self.answered_at, timezone=calendar.tracker_zone())

    @property
    def state(self):
        if self.cancelled_at is not None:
            return self.State.CANCELLED
        if self.answered_at is not None:
            return self.State.ANSWERED
        if self.reply_by < calendar.today():
            return self.State.EXPIRED
        if self.opened_at is not None:
            return self.State.OPENED
        return self.State.SENT

    @property
    def is_open(self):
        return self.state in (self.State.SENT, self.State.OPENED)

    def link_expires_at(self):
        """The link works until the reply-by day plus the grace days have ended."""
        import datetime as dt

        last_day = self.reply_by + dt.timedelta(days=settings.TRACKER_REPLY_GRACE_DAYS)
        return calendar.deadline_passes_at(last_day)

    @property
    def link_grace_days(self):
        return settings.TRACKER_REPLY_GRACE_DAYS

    @property
    def occurrence(self):
        """How this request's Notification rows are keyed (see ``Notification``)."""
        return f"request:{self.pk}"

    @staticmethod
    def pk_from_occurrence(occurrence):
        return int(occurrence.split(":", 1)[1])


class ReplyQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False, withheld_at__isnull=True)

    def pending(self):
        """Submitted, awaiting staff: neither published nor withheld."""
        return self.filter(published_at__isnull=True, withheld_at__isnull=True)


def words(text):
    """The words of a text, ignoring formatting: what a formatting edit must keep."""
    return re.findall(r"\w+", (text or "").casefold())


class Reply(models.Model):
    """The company's answer, as submitted; staff publish it or withhold it with a reason.

    Staff may correct formatting, never the words (``words``): the first such edit keeps
    the submitted text in ``original_body`` and marks the reply edited, which readers see.
    Publishing writes a "company replied" ``PledgeEvent`` (``event``), so the reply
    reaches the timeline, feeds, open data and followers like any other step.
    """

    request = models.OneToOneField(ReplyRequest, on_delete=models.CASCADE, related_name="reply")
    body = models.TextField(max_length=REPLY_BODY_MAX, validators=[validate_plain_text])
    links = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    role = models.CharField(max_length=200, blank=True, validators=[validate_plain_text])
    submitted_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withheld_at = models.DateTimeField(null=True, blank=True)
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withheld_reason = models.TextField(blank=True, max_length=2000)
    edited = models.BooleanField(default=False)
    original_body = models.TextField(blank=True, max_length=REPLY_BODY_MAX)
    event = models.OneToOneField(
        "commitments.PledgeEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reply",
    )

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name_plural = "replies"

    def __str__(self):
        return f"Reply from {self.name} on {self.request.pledge}"

    @property
    def is_published(self):
        return self.published_at is not None and self.withheld_at is None

    @property
    def is_pending(self):
        return self.published_at is None and self.withheld_at is None

    @property
    def submitted_on(self):
        return timezone.localdate(self.submitted_at, timezone=calendar.tracker_zone())

    @property
    def days_to_reply(self):
        return (self.submitted_on - self.request.sent_on).days
