import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from commitments.domain import calendar, schedule
from commitments.domain.validators import validate_plain_text
from commitments.models import search


class Status(models.TextChoices):
    NOT_YET_RATED = "not_yet_rated", "Not yet rated"
    IN_PROGRESS = "in_progress", "In progress"
    STALLED = "stalled", "Stalled"
    KEPT = "kept", "Kept"
    PARTIALLY_KEPT = "partially_kept", "Partially kept"
    BROKEN = "broken", "Broken"


# Value → label, for hot loops (get_FOO_display() rebuilds the choices on every call).
STATUS_LABELS = dict(Status.choices)
# A final verdict ends the pledge's story: no more reminders, never "overdue".
FINAL_STATUSES = frozenset({Status.KEPT, Status.PARTIALLY_KEPT, Status.BROKEN})
CENT = Decimal("0.01")


class Category(models.TextChoices):
    MORATORIUM = "moratorium", "Moratorium"
    EXIT = "exit", "Exit"
    DONATION = "donation", "Donation"
    POLICY_CHANGE = "policy_change", "Policy change"
    HIRING = "hiring", "Hiring & workforce"
    OTHER = "other", "Other"


CATEGORY_LABELS = dict(Category.choices)


class PledgeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def with_deadline(self):
        return self.filter(deadline__isnull=False)

    def final(self):
        return self.filter(status__in=FINAL_STATUSES)

    def not_final(self):
        return self.exclude(status__in=FINAL_STATUSES)

    def overdue(self):
        """Deadline day over in the tracker's zone, and no final verdict yet."""
        return self.not_final().filter(deadline__lt=calendar.today())

    def awaiting_verdict(self):
        """Published pledges a reviewer must rule on, the longest-waiting first."""
        return self.published().overdue().order_by("deadline", "pk")

    def search(self, text, *, public=False):
        """Pledges matching the words ``text``, best first (``search_rank``); see models/search.py.
        ``public``: a reader's search, on published pledges only."""
        return search.find(self.published() if public else self, text, public=public).pledges

    def with_money(self):
        """Annotate ``confirmed_delivered`` (read by ``Pledge.amount_delivered``): one
        subquery, so a list of pledges shows its money figures without a query per row."""
        from commitments.models.money import Disbursement

        total = (
            Disbursement.objects.confirmed()
            .filter(pledge=models.OuterRef("pk"))
            .order_by()
            .values("pledge")
            .annotate(total=models.Sum("amount"))
            .values("total")
        )
        decimal = models.DecimalField(max_digits=16, decimal_places=2)
        return self.annotate(confirmed_delivered=models.Subquery(total, output_field=decimal))

    def upcoming(self, days=90):
        """Unrated pledges whose deadline falls within the next ``days`` days (today included)."""
        today = calendar.today()
        return (
            self.not_final()
            .filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=days))
            .order_by("deadline", "pk")
        )


class Pledge(models.Model):
    Status = Status
    Category = Category

    company = models.ForeignKey(
        "commitments.Company", on_delete=models.PROTECT, related_name="pledges"
    )
    title = models.CharField(max_length=200, validators=[validate_plain_text])
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(
        max_length=20_000,
        blank=True,
        validators=[validate_plain_text],
        help_text="Markdown. Raw HTML is not allowed and is removed when shown.",
    )
    success_criteria = models.TextField(
        max_length=5_000,
        validators=[validate_plain_text],
        help_text="What would count as kept, stated when the pledge is logged.",
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    announced_on = models.DateField()
    deadline = models.DateField(
        null=True,
        blank=True,
        help_text="The calendar day the pledge falls due. Empty means ongoing, no stated end.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NOT_YET_RATED, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_pledges",
        help_text="The staff member responsible for ruling on this pledge.",
    )
    is_published = models.BooleanField(
        "published", default=False, help_text="Drafts are visible to staff only."
    )

    amount_pledged = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, e.g. USD.")
    delivered_may_exceed_pledged = models.BooleanField(
        default=False, help_text="Tick when the company confirmed giving more than it pledged."
    )

    # Bumped on every workflow change so two reviewers cannot overwrite each other unseen.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The next moment the reminder sweep must look at this pledge; None when nothing is due.
    next_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Title, company name and summary as words for full-text search, kept by a database
    # trigger on PostgreSQL (always empty on SQLite); see commitments/models/search.py.
    search_document = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(
        excluded_fields=["next_reminder_at", "updated_at", "search_document"]
    )
    objects = PledgeQuerySet.as_manager()

    class Meta:
        ordering = ["-announced_on", "-pk"]
        permissions = [
            ("record_verdict", "Can record a verdict on a pledge"),
            ("move_deadline", "Can move a pledge's deadline"),
        ]
        indexes = [
            models.Index(
                fields=["next_reminder_at"],
                name="pledge_reminder_due",
                condition=models.Q(next_reminder_at__isnull=False),
            ),
            models.Index(fields=["deadline"], name="pledge_deadline"),
            # The reviewers' queue (awaiting_verdict): its page and its count read this small
            # index, not every pledge with a past deadline. Sorted: a stable migration.
            models.Index(
                fields=["deadline", "id"],
                name="pledge_awaiting_verdict",
                condition=models.Q(is_published=True)
                & ~models.Q(status__in=sorted(FINAL_STATUSES)),
            ),
            models.Index(fields=["-announced_on", "-id"], name="pledge_announced"),
            # A company's page: its newest pledges a page at a time; its deadline chart, and
            # its scorecard and money totals from the index alone, not from all of its rows.
            models.Index(
                fields=["company", "-announced_on", "-id"],
                name="pledge_company_newest",
                condition=models.Q(is_published=True),
            ),
            models.Index(
                fields=["company", "deadline", "id"],
                include=["status", "amount_pledged", "currency"],
                name="pledge_company_deadlines",
                condition=models.Q(is_published=True),
            ),
        ]

    def __str__(self):
        return f"{self.company.name} — {self.title}" if self.company_id else self.title

    def save(self, *args, **kwargs):
        if self.currency:
            self.currency = self.currency.upper()
        if not self.slug:
            self.slug = self._unique_slug()
        self.next_reminder_at = schedule.next_check_at(self)
        super().save(*args, **kwargs)
        self._sync_announced_event()

    def get_absolute_url(self):
        return self.path_for(self.slug)

    @staticmethod
    def path_for(slug):
        """A pledge's page, from its slug alone: for lists read as rows, not instances."""
        return reverse("commitments:pledge", kwargs={"slug": slug})

    def clean(self):
        errors = {}
        if self.deadline and self.announced_on and self.deadline < self.announced_on:
            errors["deadline"] = "The deadline cannot be before the day the pledge was announced."
        if self.amount_pledged is not None and not self.currency:
            errors["currency"] = "Give the currency of the amounts, e.g. USD."
        if self.currency and not (len(self.currency) == 3 and self.currency.isalpha()):
            errors["currency"] = "Use a three-letter ISO 4217 code, e.g. USD."
        if self.pk is not None and "amount_pledged" not in errors:
            errors.update(self._money_errors())
        if errors:
            raise ValidationError(errors)

    def _money_errors(self):
        """What an edit of the pledged amount or currency would contradict in its payments."""
        payments = self.disbursements.current()
        if not payments.exists():
            return {}
        if self.amount_pledged is None:
            return {"amount_pledged": "Payments are recorded against this pledge: keep its amount."}
        if payments.exclude(currency=(self.currency or "").upper()).exists():
            return {"currency": "Payments are recorded in another currency: keep the pledge's."}
        delivered = payments.confirmed().aggregate(total=models.Sum("amount"))["total"]
        if delivered and delivered > self.amount_pledged and not self.delivered_may_exceed_pledged:
            return {"amount_pledged": "Confirmed payments already exceed this amount."}
        return {}

    def use_company_slug(self):
        """Before a new pledge is first saved by staff (admin, import): make the slug they
        typed start with the company, as the ones made from the title do."""
        if self._state.adding and self.slug:
            self.slug = self._unique_slug(self.slug)

    def _unique_slug(self, wanted=""):
        company = slugify(self.company.name)
        if not wanted:
            base = slugify(f"{self.company.name} {self.title}")
        elif wanted == company or wanted.startswith(f"{company}-"):
            base = wanted
        else:
            base = f"{company}-{wanted}"
        base = base[:200] or "pledge"
        if wanted and base == wanted and not Pledge.objects.filter(slug=base).exists():
            return base
        slug, n = base, 2
        while Pledge.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    def _sync_announced_event(self):
        from commitments.models.events import PledgeEvent

        PledgeEvent.objects.update_or_create(
            pledge=self,
            kind=PledgeEvent.Kind.ANNOUNCED,
            defaults={"occurred_on": self.announced_on, "new_status": Status.NOT_YET_RATED},
        )

    # --- The story its events tell (prefetch ``events`` to read them in one query) ----------

    def public_history(self):
        """Events the corrected history holds true, newest first."""
        return [event for event in self.events.all() if event.withdrawn_at is None]

    def corrections(self):
        """Events withdrawn because a backdated change made them untrue."""
        return [event for event in self.events.all() if event.withdrawn_at is not None]

    def latest_verdict(self):
        """The verdict event behind the current status (None before any verdict)."""
        verdicts = [event for event in self.public_history() if event.kind == "status_changed"]
        return max(verdicts, key=lambda event: (event.occurred_on, event.pk), default=None)

    def last_updated(self):
        """The day (tracker's zone) the record last changed: its latest event, or an edit."""
        moments = [event.recorded_at for event in self.public_history()]
        moments = [moment for moment in (*moments, self.updated_at) if moment is not None]
        if not moments:
            return None
        return calendar.local_date(max(moments))

    def right_of_reply(self):
        """Each request for comment the public history tells of, oldest first, as
        ``{"request", "lapsed", "reply_event"}``: it ended unanswered on its reply-by date
        ("no response"), a published reply came, or both (a late reply)."""
        found = {}
        for event in sorted(self.public_history(), key=lambda e: (e.occurred_on, e.pk)):
            request = event.reply_request
            if request is None:
                continue
            entry = found.setdefault(
                request.pk, {"request": request, "lapsed": False, "reply_event": None}
            )
            if event.kind == "no_reply":
                entry["lapsed"] = True
            else:
                entry["reply_event"] = event
        return sorted(found.values(), key=lambda entry: entry["request"].sent_at)

    def deadline_changes(self):
        """The deadline's moves, oldest first: the first one's old date is the original."""
        moves = [event for event in self.public_history() if event.kind == "deadline_changed"]
        return sorted(moves, key=lambda event: (event.occurred_on, event.pk))

    # --- Derived state, never stored by hand -------------------------------------------

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    @property
    def is_overdue(self):
        return bool(self.deadline) and not self.is_final and self.deadline < calendar.today()

    @property
    def days_overdue(self):
        return (calendar.today() - self.deadline).days if self.is_overdue else 0

    @property
    def days_left(self):
        """Days until the deadline (0 on the day itself); None without a future deadline."""
        if not self.deadline or self.deadline < calendar.today():
            return None
        return (self.deadline - calendar.today()).days

    @property
    def is_financial(self):
        return self.amount_pledged is not None

    @property
    def amount_delivered(self):
        """Sum of the payments a source confirms; None when none is (unknown, not zero).

        Read from ``PledgeQuerySet.with_money()``'s annotation or prefetched
        ``disbursements`` when present (lists), else with one query, kept.
        """
        from commitments.models.money import confirmed_total

        if "confirmed_delivered" in self.__dict__:
            total = self.confirmed_delivered
            # SQLite hands a sum back without its cents: "1000000.00" everywhere, as stored.
            return None if total is None else Decimal(total).quantize(CENT)
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("disbursements")
        if prefetched is not None:
            return confirmed_total(prefetched)
        if self.pk is None:
            return None
        self.confirmed_delivered = confirmed_total(self.disbursements.confirmed())
        return self.confirmed_delivered

    @property
    def delivered_percent(self):
        """Share of the pledge confirmed delivered; None when nothing is confirmed (unknown)."""
        if not self.amount_pledged or self.amount_delivered is None:
            return None
        return round(100 * self.amount_delivered / self.amount_pledged, 1)

    @property
    def amount_unconfirmed(self):
        """Pledged money no source confirms as delivered yet: unknown, never read as zero."""
        if self.amount_pledged is None:
            return None
        return max(self.amount_pledged - (self.amount_delivered or 0), 0)
