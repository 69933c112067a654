from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Commitment Tracker staff"
admin.site.site_title = "Commitment Tracker staff"
admin.site.index_title = "Pledges, sources and verdicts"

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("commitments.public.urls")),
]
