from django.db import models
from simple_history.models import HistoricalRecords

from commitments.domain.validators import validate_plain_text, validate_web_url


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
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["published_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "url"], name="source_unique_url_per_pledge")
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.publisher else self.title
