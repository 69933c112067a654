from django.urls import include, path

from commitments.views import companies, pledges

app_name = "commitments"

urlpatterns = [
    path("", pledges.PledgeListView.as_view(), name="home"),
    path("pledges/<slug:slug>/", pledges.PledgeDetailView.as_view(), name="pledge"),
    path("companies/<slug:slug>/", companies.CompanyDetailView.as_view(), name="company"),
    path("alerts/", include("commitments.alerts.urls")),
]
