from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from commitments.models import Disbursement, Pledge, PledgeEvent, Source
from commitments.public import charts
from commitments.public import listing as timeline
from commitments.public.caching import public_page


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
                queryset=PledgeEvent.objects.select_related("disbursement").order_by(
                    "-occurred_on", "-pk"
                ),
            ),
            # The money figures and the recipients list read these.
            Prefetch("disbursements", queryset=Disbursement.objects.select_related("source")),
        ),
        slug=slug,
    )
    _attach_sources(pledge)
    context = {"pledge": pledge, "chart": charts.deadline_chart([pledge])}
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
