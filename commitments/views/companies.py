from django.views.generic import DetailView

from commitments.models import Company


class CompanyDetailView(DetailView):
    template_name = "commitments/company_detail.html"
    context_object_name = "company"
    queryset = Company.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pledges"] = self.object.pledges.published()
        return context
