from django.urls import path

from commitments.views import companies, health, pledges

app_name = "commitments"

urlpatterns = [
    path("", pledges.PledgeListView.as_view(), name="home"),
    path("pledges/<slug:slug>/", pledges.PledgeDetailView.as_view(), name="pledge"),
    path("companies/<slug:slug>/", companies.CompanyDetailView.as_view(), name="company"),
    path("health", health.health, name="health"),
]
