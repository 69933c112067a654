from django.conf import settings
from django.db.models import F, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from commitments.models import Disbursement, Pledge, PledgeEvent, Source
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
        # The moves tell a lifted deadline ("Extended with no end date") from none at all.
        return (
            timeline.with_deadline_moves(timeline.public_pledges(self.filters))
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
    """The pledge page: five queries whatever the number of events, sources and payments
    (content version, pledge, events with their payments, sources with their citations,
    payments with their sources)."""
    pledge = get_object_or_404(
        timeline.with_deadline_moves(
            Pledge.objects.published().select_related("company")
        ).prefetch_related(
            Prefetch(
                "events",
                # A reply and its request come in the same query (joins, not a query each).
                queryset=PledgeEvent.objects.select_related(
                    "disbursement", "reply__request", "no_reply_request"
                ).order_by("-occurred_on", "-pk"),
            ),
            # The money figures and the recipients list read these: confirmed payments
            # first, by date, then the recipients announced without one.
            Prefetch("disbursements", queryset=Disbursement.objects.for_listing()),
        ),
        slug=slug,
    )
    _attach_sources(pledge)
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


def _attach_sources(pledge):
    """The pledge's sources, and each event's evidence among them, from one query.

    A LEFT JOIN of the sources on their citations gives a row per (source, citing event),
    or one with no event: the sources list and every event's evidence at once. Events
    cite only their own pledge's sources (``workflow`` refuses any other).
    """
    rows = (
        Source.objects.filter(pledge=pledge)
        .annotate(cited_by=F("events__id"))
        .order_by("published_on", "pk", "cited_by")
    )
    sources, evidence = {}, {}
    for row in rows:
        source = sources.setdefault(row.pk, row)
        if row.cited_by is not None:
            evidence.setdefault(row.cited_by, []).append(source)
    _prefetched(pledge, "sources", list(sources.values()))
    for event in pledge.events.all():
        _prefetched(event, "sources", evidence.get(event.pk, []))


def _prefetched(obj, name, items):
    """Hand ``obj.<name>.all()`` its rows, as ``prefetch_related`` would."""
    queryset = getattr(obj, name).all()
    queryset._result_cache, queryset._prefetch_done = items, True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


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
