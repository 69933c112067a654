from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """Swap in our admin site (second factor for staff) as ``django.contrib.admin.site``."""

    default_site = "tracker.admin_site.TrackerAdminSite"
