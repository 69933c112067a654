"""The site's URLs plus one view that fails, to see what a visitor sees on a 500."""

from django.urls import path

from tracker.urls import urlpatterns as site_urlpatterns


def crash(request):
    raise RuntimeError("database password is hunter2")  # noqa: EM101, TRY003


urlpatterns = [path("crash/", crash), *site_urlpatterns]
