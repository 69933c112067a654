from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from commitments.models import Pledge, PledgeEvent, Source
from commitments.public import charts, og_image, sharing, structured
from commitments.public import listing as timeline
from commitments.public.caching import memoise, public_page, remember
from commitments.public.views.timeline import company_choices

PLEDGE_LIST_SIZE = 50


class PledgeListView(ListView):
    """Published pledges (not events), filtered, sorted and a numbered page at a time.

    Numbered pages, unlike the timeline's cursors: readers jump around a sorted list, and
    it holds one row per pledge, so counting it is cheap. A page number that is not a
    number, or is past the end, shows the nearest real page instead of an error.
    """

    template_name = "commitments/pledge_list.html"
    context_object_name = "pledges"
    paginate_by = PLEDGE_LIST_SIZE

    def get_queryset(self):
        self.form = timeline.PledgeFilterForm(self.request.GET)
        self.filters = self.form.filters()
        return (
            timeline.public_pledges(self.filters)
            .select_related("company")
            .only(
                "slug",
                "title",
                "category",
                "status",
                "announced_on",
                "deadline",
                "company__slug",
                "company__name",
            )
            .order_by(*self.form.ordering())
        )

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=self.form,
            filters={k: v for k, v in self.filters.items() if k != "sort"},
            query=query.urlencode(),
            companies=memoise("company-choices", company_choices),
        )
        return context


pledge_list = require_safe(public_page(PledgeListView.as_view()))


@require_safe
@public_page
def pledge_detail(request, slug):
    pledge = get_object_or_404(
        timeline.with_deadline_moves(
            Pledge.objects.published().select_related("company")
        ).prefetch_related(
            Prefetch(
                "events",
                queryset=PledgeEvent.objects.prefetch_related(
                    Prefetch("sources", queryset=Source.objects.order_by("published_on", "pk"))
                ).order_by("-occurred_on", "-pk"),
            ),
            Prefetch("sources", queryset=Source.objects.order_by("published_on", "pk")),
        ),
        slug=slug,
    )
    review = structured.claim_review(pledge)
    share_url = settings.SITE_URL + pledge.get_absolute_url()
    context = {
        "pledge": pledge,
        "chart": charts.deadline_chart([pledge]),
        "structured_data": structured.ld_json(review) if review else "",
        "share_url": share_url,
        "share_links": sharing.share_links(
            share_url, f"{pledge.company.name}: {pledge.title} — {pledge.get_status_display()}"
        ),
    }
    return render(request, "commitments/pledge_detail.html", context)


# A picture's key names what it shows, so it can be kept long; crawlers fetch it rarely.
OG_IMAGE_TTL_SECONDS = 7 * 24 * 3600


@require_safe
@public_page
def pledge_og_image(request, slug):
    """The pledge's Open Graph picture (``commitments.public.og_image``), as a PNG."""
    pledge = get_object_or_404(
        Pledge.objects.published()
        .select_related("company")
        .only("pk", "slug", "title", "status", "company__name"),
        slug=slug,
    )
    png = remember(
        og_image.picture_key(pledge), lambda: og_image.draw(pledge), OG_IMAGE_TTL_SECONDS
    )
    return HttpResponse(png, content_type="image/png")
