from django.db import models
from django.urls import reverse

from commitments.domain.validators import validate_plain_text


class Page(models.Model):
    """A public page staff can edit without a deploy, e.g. the methodology."""

    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="“methodology” replaces the methodology page's opening text; "
        "“right-of-reply” its section on the right of reply. Any other slug is a page of "
        "its own at /about/<slug>/.",
    )
    title = models.CharField(max_length=200, validators=[validate_plain_text])
    body = models.TextField(
        max_length=50_000,
        validators=[validate_plain_text],
        help_text="Markdown. Raw HTML is not allowed and is removed when shown.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.slug == "methodology":
            return reverse("commitments:methodology")
        return reverse("commitments:page", kwargs={"slug": self.slug})
