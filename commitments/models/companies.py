from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from commitments.domain.validators import validate_plain_text, validate_web_url


class CompanyQuerySet(models.QuerySet):
    def public(self):
        """Companies with at least one published pledge: the only ones readers may see."""
        from commitments.models.pledges import Pledge

        published = Pledge.objects.published().filter(company=models.OuterRef("pk"))
        return self.filter(models.Exists(published))


class Company(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[validate_plain_text])
    slug = models.SlugField(max_length=220, unique=True)
    website = models.URLField(blank=True, max_length=500, validators=[validate_web_url])
    description = models.TextField(
        blank=True,
        max_length=2000,
        validators=[validate_plain_text],
        help_text="One or two plain sentences about the company.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("commitments:company", kwargs={"slug": self.slug})
