from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from commitments.models import Page, PledgeEvent, Status
from commitments.public import records as opendata
from commitments.public.caching import public_page

STATUS_MEANINGS = {
    Status.NOT_YET_RATED: "Logged, but no reviewer has ruled on it yet.",
    Status.IN_PROGRESS: "There is evidence of real work towards it, and the deadline has not passed.",
    Status.STALLED: "No visible progress, or the company has gone quiet or backtracked.",
    Status.KEPT: "The success criteria were met, shown by at least one cited source.",
    Status.PARTIALLY_KEPT: "Some of the success criteria were met, but not all.",
    Status.BROKEN: "The deadline passed unmet, or the company abandoned the pledge.",
}


# "methodology" replaces the page's opening text, "right-of-reply" its right-of-reply section.
METHODOLOGY_PAGES = ("methodology", "right-of-reply")


@require_safe
@public_page
def methodology(request):
    # Both staff-editable texts in one query; each falls back to the template's default.
    pages = {page.slug: page for page in Page.objects.filter(slug__in=METHODOLOGY_PAGES)}
    context = {
        "page": pages.get("methodology"),
        "reply_page": pages.get("right-of-reply"),
        "statuses": [(status, STATUS_MEANINGS[status]) for status in Status],
        "pledge_fields": opendata.PLEDGE_FIELDS,
        "company_fields": opendata.COMPANY_FIELDS,
        "event_fields": opendata.EVENT_FIELDS,
        "disbursement_fields": opendata.DISBURSEMENT_FIELDS,
    }
    return render(request, "commitments/methodology.html", context)


@require_safe
@public_page
def page(request, slug):
    return render(request, "commitments/page.html", {"page": get_object_or_404(Page, slug=slug)})


class CorrectionsView(ListView):
    """Every event withdrawn from a published pledge's history, the latest first."""

    template_name = "commitments/corrections.html"
    context_object_name = "corrections"
    paginate_by = 50

    def get_queryset(self):
        return (
            PledgeEvent.objects.withdrawn()
            .filter(pledge__is_published=True)
            .select_related("pledge__company", "withdrawn_by")
            .order_by("-withdrawn_at", "-pk")
        )


corrections = require_safe(public_page(CorrectionsView.as_view()))
