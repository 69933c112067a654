"""Readers who follow pledges by email, and the addresses that must never be mailed.

We keep as little as we can: the address, what it follows, and when it asked and
confirmed (no IPs, no user agents). Leaving everything deletes the subscriber,
its subscriptions and its notification rows; only a keyed hash of the address
survives, in ``Suppression``, so a mistake cannot mail it again.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from commitments.models.pledges import Pledge


def normalise_address(address):
    """One spelling per mailbox: trimmed and lower-cased (every real provider ignores case)."""
    return (address or "").strip().lower()


def address_hash(address):
    """HMAC-SHA256 of the normalised address under a key that must never rotate.

    The key is separate from SECRET_KEY on purpose: rotating SECRET_KEY must not
    quietly make every suppression entry unrecognisable.
    """
    key = settings.TRACKER_ALERT_HASH_KEY.encode()
    return hmac.new(key, normalise_address(address).encode(), hashlib.sha256).hexdigest()


class Suppression(models.Model):
    """An address (hashed) that gets no alerts: it left, or staff stopped it."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed from everything"
        STAFF = "staff", "Suppressed by staff"

    address_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.address_hash[:12]}…)"

    @classmethod
    def suppress(cls, address, reason):
        """Record ``address`` as suppressed; a staff suppression is never downgraded."""
        entry, created = cls.objects.get_or_create(
            address_hash=address_hash(address), defaults={"reason": reason}
        )
        if not created and reason == cls.Reason.STAFF and entry.reason != reason:
            entry.reason = reason
            entry.save(update_fields=["reason"])
        return entry

    @classmethod
    def blocks_alerts(cls, address):
        return cls.objects.filter(address_hash=address_hash(address)).exists()

    @classmethod
    def blocks_confirmations(cls, address):
        """A reader who left may ask again; an address staff stopped gets nothing at all."""
        return cls.objects.filter(
            address_hash=address_hash(address), reason=cls.Reason.STAFF
        ).exists()


class SubscriberQuerySet(models.QuerySet):
    def not_suppressed(self):
        return self.exclude(
            Exists(Suppression.objects.filter(address_hash=OuterRef("address_hash")))
        )


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    # Lets the database exclude suppressed addresses in the same query that selects recipients.
    address_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    normalise = staticmethod(normalise_address)

    def save(self, *args, **kwargs):
        self.email = normalise_address(self.email)
        self.address_hash = address_hash(self.email)
        super().save(*args, **kwargs)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def deliverable(self):
        """Confirmed, and the address is not suppressed."""
        return self.confirmed().exclude(
            Exists(Suppression.objects.filter(address_hash=OuterRef("subscriber__address_hash")))
        )

    def covering(self, pledge):
        """Subscriptions whose scope includes ``pledge``."""
        return self.filter(
            Q(scope=Subscription.Scope.ALL)
            | Q(scope=Subscription.Scope.PLEDGE, pledge_id=pledge.pk)
            | Q(scope=Subscription.Scope.COMPANY, company_id=pledge.company_id)
        )

    def wanting(self, topic):
        return self.filter(**{Subscription.TOPIC_FIELDS[topic]: True})


class Subscription(models.Model):
    """What one address follows, and which kinds of news it wants about it."""

    class Scope(models.TextChoices):
        PLEDGE = "pledge", "This pledge"
        COMPANY = "company", "All of this company's pledges"
        ALL = "all", "All pledges"

    class Topic(models.TextChoices):
        VERDICT = "verdict", "A verdict is recorded"
        DEADLINE_PASSED = "deadline_passed", "The deadline passes"
        DEADLINE_MOVED = "deadline_moved", "The deadline is moved"
        UPCOMING = "upcoming", "The deadline is 7 days away"
        MONEY = "money", "A payment is confirmed (or its confirmation withdrawn)"
        # (Worded without "company": the timeline's "Company" filter sits on the same pages.)
        REPLY = "reply", "A reply to our request for comment is published"

    TOPIC_FIELDS = {
        Topic.VERDICT: "on_verdict",
        Topic.DEADLINE_PASSED: "on_deadline_passed",
        Topic.DEADLINE_MOVED: "on_deadline_moved",
        Topic.UPCOMING: "on_upcoming",
        Topic.MONEY: "on_money",
        Topic.REPLY: "on_reply",
    }
    # New sign-ups get replies and payments ticked; readers who signed up before replies
    # existed keep exactly what they chose (the column defaults to False), and may add it
    # on their page; payments follow their verdict choice (migration 0015).
    DEFAULT_TOPICS = (
        Topic.VERDICT,
        Topic.DEADLINE_PASSED,
        Topic.DEADLINE_MOVED,
        Topic.MONEY,
        Topic.REPLY,
    )

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    pledge = models.ForeignKey(
        "commitments.Pledge",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    company = models.ForeignKey(
        "commitments.Company",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    on_verdict = models.BooleanField("verdict recorded", default=True)
    on_deadline_passed = models.BooleanField("deadline passed", default=True)
    on_deadline_moved = models.BooleanField("deadline moved", default=True)
    on_upcoming = models.BooleanField("deadline 7 days away", default=False)
    on_money = models.BooleanField("payment confirmed", default=True)
    on_reply = models.BooleanField("company replied", default=False)
    requested_at = models.DateTimeField(auto_now_add=True)
    # The consent record: when the address clicked its confirmation link. No IP is kept.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="pledge", pledge__isnull=False, company__isnull=True)
                    | Q(scope="company", pledge__isnull=True, company__isnull=False)
                    | Q(scope="all", pledge__isnull=True, company__isnull=True)
                ),
                name="subscription_scope_target",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "pledge"],
                condition=Q(scope="pledge"),
                name="subscription_once_per_pledge",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "company"],
                condition=Q(scope="company"),
                name="subscription_once_per_company",
            ),
            models.UniqueConstraint(
                fields=["subscriber"], condition=Q(scope="all"), name="subscription_once_for_all"
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} follows {self.target_label}"

    @property
    def target_label(self):
        if self.scope == self.Scope.PLEDGE:
            return str(self.pledge)
        if self.scope == self.Scope.COMPANY:
            return f"all pledges by {self.company}"
        return "all pledges"

    @property
    def topics(self):
        return [topic for topic, field in self.TOPIC_FIELDS.items() if getattr(self, field)]

    def set_topics(self, topics):
        for topic, field in self.TOPIC_FIELDS.items():
            setattr(self, field, topic in topics)


class PledgeFollowers(Pledge):
    """Pledges seen from the alerts side: the admin lists followers and deliveries per pledge."""

    class Meta:
        proxy = True
        verbose_name = "followers per pledge"
        verbose_name_plural = "followers per pledge"
