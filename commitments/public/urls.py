from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from commitments.public import api, feeds
from commitments.public.caching import public_page
from commitments.public.sitemaps import SITEMAPS
from commitments.public.views import (
    apidocs,
    companies,
    health,
    pages,
    pledges,
    replies,
    timeline,
)
from commitments.public.views import downloads as opendata

app_name = "commitments"

urlpatterns = [
    path("health", health.health, name="health"),
    path("alerts/", include("commitments.alerts.urls")),
    path("reply/<str:token>/", replies.reply, name="reply"),
    path("", timeline.home, name="home"),
    path("pledges/", pledges.pledge_list, name="pledges"),
    path("pledges/<slug:slug>/", pledges.pledge_detail, name="pledge"),
    path("pledges/<slug:slug>/og.png", pledges.pledge_og_image, name="pledge_og_image"),
    path("pledges/<slug:slug>/feed/", public_page(feeds.PledgeEventFeed()), name="pledge_feed"),
    path("pledges/<slug:slug>/deadline.ics", opendata.calendar_pledge, name="pledge_calendar"),
    path("companies/", companies.company_index, name="companies"),
    path("companies/<slug:slug>/", companies.company_detail, name="company"),
    path("companies/<slug:slug>/feed/", public_page(feeds.CompanyEventFeed()), name="company_feed"),
    path(
        "companies/<slug:slug>/deadlines.ics",
        opendata.calendar_company,
        name="company_calendar",
    ),
    path("feed/", public_page(feeds.EventFeed()), name="feed"),
    path("deadlines.ics", opendata.calendar_all, name="calendar"),
    path("pledges.csv", opendata.export_csv, name="export_csv"),
    path("pledges.json", opendata.export_json, name="export_json"),
    path("methodology/", pages.methodology, name="methodology"),
    path("corrections/", pages.corrections, name="corrections"),
    path("about/<slug:slug>/", pages.page, name="page"),
    path("api/", apidocs.api_page, name="api"),
    path("api/v1/openapi.json", apidocs.openapi_document, name="openapi"),
    path("datapackage.json", apidocs.datapackage, name="datapackage"),
    path("api/v1/pledges/", api.pledges, name="api_pledges"),
    path("api/v1/pledges/<slug:slug>/", api.pledge, name="api_pledge"),
    path("api/v1/companies/", api.companies, name="api_companies"),
    path("api/v1/companies/<slug:slug>/", api.company, name="api_company"),
    path("api/v1/events/", api.events, name="api_events"),
    path(
        "sitemap.xml",
        public_page(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "commitments:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        public_page(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]
