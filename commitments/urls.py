from django.urls import path

from commitments import views

app_name = "commitments"

urlpatterns = [
    path("", views.PledgeListView.as_view(), name="home"),
    path("pledges/<slug:slug>/", views.PledgeDetailView.as_view(), name="pledge"),
    path("companies/<slug:slug>/", views.CompanyDetailView.as_view(), name="company"),
]
