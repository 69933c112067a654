from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from commitments.models import Pledge, PledgeEvent, Source
from commitments.public import charts
from commitments.public import listing as timeline
from commitments.public.caching import public_page


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
    context = {"pledge": pledge, "chart": charts.deadline_chart([pledge])}
    return render(request, "commitments/pledge_detail.html", context)
