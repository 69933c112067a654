from django.db.models import Prefetch
from django.views.generic import DetailView, ListView

from commitments.models import Pledge, PledgeEvent, Source


class PledgeListView(ListView):
    template_name = "commitments/home.html"
    context_object_name = "pledges"
    paginate_by = 50

    def get_queryset(self):
        return Pledge.objects.published().select_related("company")


class PledgeDetailView(DetailView):
    template_name = "commitments/pledge_detail.html"
    context_object_name = "pledge"

    def get_queryset(self):
        return (
            Pledge.objects.published()
            .select_related("company")
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=PledgeEvent.objects.prefetch_related("sources").order_by(
                        "-occurred_on", "-pk"
                    ),
                ),
                Prefetch("sources", queryset=Source.objects.order_by("published_on", "pk")),
            )
        )
