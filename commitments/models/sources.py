"""Sources, and the state the link checker and the archiver keep on each.

Which of these columns are public content (they move the content version, see
``models/content.py``): the source's own fields, ``archive_url``, ``archived_at`` and
``broken_since``. The rest is bookkeeping the background machinery writes every week;
it is left out so a check that finds nothing new does not empty every page cache.
"""

import re
from datetime import UTC, date, datetime

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from commitments.domain.validators import validate_plain_text, validate_web_url

_WAYBACK_STAMP = re.compile(r"/web/(\d{4})(\d{2})(\d{2})\d{0,8}(?:[a-z_]{0,4})/")

# Knuth's multiplicative hash: consecutive ids land far apart in the period.
_SPREAD = 2654435761


def next_slot(pk, now, period):
    """The next moment after ``now`` in this source's fixed slot of a repeating period.

    Each source keeps the same offset in every period, so checks stay spread evenly over
    the week (a few a minute) however late a run was, instead of bunching up behind it.
    """
    seconds = int(period.total_seconds())
    offset = (pk * _SPREAD) % seconds
    epoch = now.timestamp()
    slot = epoch - (epoch % seconds) + offset
    while slot <= epoch:
        slot += seconds
    return datetime.fromtimestamp(slot, UTC)


class SourceQuerySet(models.QuerySet):
    def broken(self):
        return self.filter(broken_since__isnull=False)

    def failing(self):
        """Failing now, broken or not yet (within TRACKER_SOURCE_BROKEN_DAYS)."""
        return self.filter(first_failed_at__isnull=False)

    def due_for_check(self, now):
        return self.filter(next_check_at__lte=now)

    def archived_by_us(self):
        """No archived copy, or one the archiver made: never one staff typed."""
        return self.filter(models.Q(archive_url="") | models.Q(archived_at__isnull=False))

    def due_for_archive(self, now):
        return self.archived_by_us().filter(archive_due_at__lte=now)


class Source(models.Model):
    """A cited document: the evidence behind a pledge and the verdicts on it."""

    pledge = models.ForeignKey(
        "commitments.Pledge", on_delete=models.CASCADE, related_name="sources"
    )
    url = models.URLField("URL", max_length=1000, validators=[validate_web_url])
    title = models.CharField(max_length=300, validators=[validate_plain_text])
    publisher = models.CharField(max_length=200, blank=True, validators=[validate_plain_text])
    published_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField(
        "archived copy",
        max_length=1000,
        blank=True,
        validators=[validate_web_url],
        help_text="A permanent copy, e.g. on the Wayback Machine, in case the original moves.",
    )
    archived_at = models.DateTimeField(
        "archived on",
        null=True,
        blank=True,
        help_text="When the archived copy was made (filled in by the archiver).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The archiver (commitments.domain.archiving). A new source is due at once, however it
    # was created (admin, verdict form, import, shell): the default sees to that.
    archive_due_at = models.DateTimeField(
        null=True, blank=True, default=timezone.now, editable=False
    )
    archive_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    archive_error = models.CharField(max_length=500, blank=True, editable=False)
    # The archive service's job for a capture it is still making (Save Page Now answers
    # with a job id, polled until the snapshot exists).
    archive_job = models.CharField(max_length=100, blank=True, editable=False)

    # The link checker (commitments.domain.linkcheck). New sources are checked at once.
    next_check_at = models.DateTimeField(default=timezone.now, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.PositiveSmallIntegerField(
        "last HTTP status", null=True, blank=True, editable=False
    )
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    last_ok_at = models.DateTimeField("last worked", null=True, blank=True, editable=False)
    first_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    final_url = models.URLField(max_length=1000, blank=True, editable=False)
    # Public: failing for more than TRACKER_SOURCE_BROKEN_DAYS. A column, not a comparison
    # with the clock, so the public pages change when a check says so (and their caches
    # with them), not silently as time passes.
    broken_since = models.DateTimeField(null=True, blank=True, editable=False)
    archive_check = models.CharField(
        "archived copy check", max_length=200, blank=True, editable=False
    )

    history = HistoricalRecords(
        excluded_fields=[
            "archive_due_at",
            "archive_attempts",
            "archive_error",
            "archive_job",
            "next_check_at",
            "last_checked_at",
            "last_status",
            "last_error",
            "last_ok_at",
            "first_failed_at",
            "final_url",
            "archive_check",
        ]
    )
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["published_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "url"], name="source_unique_url_per_pledge")
        ]
        indexes = [
            models.Index(fields=["next_check_at"], name="source_check_due"),
            models.Index(
                fields=["archive_due_at"],
                name="source_archive_due",
                condition=models.Q(archive_due_at__isnull=False),
            ),
            models.Index(
                fields=["broken_since"],
                name="source_broken",
                condition=models.Q(broken_since__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.publisher else self.title

    def save(self, *args, **kwargs):
        # (The archiver and the checker write with update(), so a save() is a person's edit.)
        now = timezone.now()
        loaded_url, loaded_archive = getattr(self, "_loaded", (None, None))
        if (
            self.pk is not None
            and loaded_archive is not None
            and loaded_archive != self.archive_url
        ):
            # Staff typed (or cleared) the archived copy: theirs is kept as is, and we do
            # not know when it was made; cleared, the archiver makes one.
            self.archived_at, self.archive_job, self.archive_error = None, "", ""
            self.archive_attempts = 0
            self.archive_due_at = None if self.archive_url else now
        if self.pk is not None and loaded_url is not None and loaded_url != self.url:
            # A corrected URL is a new document: check it now, and archive it unless staff
            # typed an archived copy along with it.
            self.next_check_at = now
            self.first_failed_at = self.broken_since = self.last_status = None
            self.last_error = self.final_url = ""
            if not self.archive_url or self.archived_at is not None:
                self.archive_url, self.archived_at, self.archive_job = "", None, ""
                self.archive_due_at, self.archive_attempts, self.archive_error = now, 0, ""
        elif self.pk is None and self.archive_url:
            self.archive_due_at = None  # typed with the source: nothing to archive
        super().save(*args, **kwargs)
        self._loaded = (self.url, self.archive_url)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = (instance.__dict__.get("url"), instance.__dict__.get("archive_url"))
        return instance

    @property
    def is_broken(self):
        return self.broken_since is not None

    @property
    def archived_on(self):
        """The day the archived copy was made: ours, or read from a Wayback Machine address
        staff typed (…/web/20200612093000/…); None when unknown."""
        if self.archived_at is not None:
            return self.archived_at.date()
        match = _WAYBACK_STAMP.search(self.archive_url)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
        return None


class HostBudget(models.Model):
    """Requests the link checker and the archiver made to one host in the last minute.

    One row per host, locked while a request is granted, so every worker shares the
    budget: at most TRACKER_LINKCHECK_PER_HOST_PER_MINUTE requests in any 60 seconds.
    """

    host = models.CharField(max_length=255, unique=True)
    # Epoch seconds of the requests granted within the last window, oldest first.
    recent = models.JSONField(default=list)

    def __str__(self):
        return self.host
