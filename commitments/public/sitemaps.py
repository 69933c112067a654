from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from commitments.domain import site as tracker_site
from commitments.models import Company, Page, Pledge


class SiteSitemap(Sitemap):
    """Absolute locations come from SITE_URL, as everywhere else, not from the Host header."""

    def get_protocol(self, protocol=None):
        return tracker_site.scheme()

    def get_domain(self, site=None):
        return tracker_site.address()


class PledgeSitemap(SiteSitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return Pledge.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, pledge):
        return pledge.updated_at


class CompanySitemap(SiteSitemap):
    changefreq = "weekly"
    limit = 10_000

    def items(self):
        return Company.objects.public().only("slug").order_by("pk")


class StaticSitemap(SiteSitemap):
    def items(self):
        pages = ["commitments:home", "commitments:companies", "commitments:methodology"]
        return pages + [
            page.get_absolute_url() for page in Page.objects.exclude(slug="methodology")
        ]

    def location(self, item):
        return item if item.startswith("/") else reverse(item)


SITEMAPS = {"pages": StaticSitemap, "pledges": PledgeSitemap, "companies": CompanySitemap}
