"""Atom feeds of pledge events: site-wide, per company, per pledge.

Links are absolute from ``SITE_URL``, never from the request's Host header.
"""

import heapq

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from commitments.domain import calendar, site
from commitments.domain.markdown import render as render_markdown
from commitments.models import Company, Pledge, PledgeEvent

FEED_SIZE = 50


def absolute(path):
    return settings.SITE_URL + path


class EventFeed(Feed):
    feed_type = Atom1Feed
    title = "Commitment Tracker: pledge events"
    subtitle = "Pledges announced, deadlines moved or passed, verdicts recorded."

    def link(self, obj=None):
        return absolute(obj.get_absolute_url() if obj else "/")

    def feed_url(self, obj=None):
        return absolute(reverse("commitments:feed"))

    def events(self, obj):
        return PledgeEvent.objects.public()

    def items(self, obj):
        return (
            self.events(obj)
            .select_related("pledge__company", "disbursement")
            .defer("pledge__summary", "pledge__success_criteria")
            .order_by("-occurred_on", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item):
        return f"{item.pledge.company.name}: {item.headline} — {item.pledge.title}"

    def item_description(self, item):
        if item.kind == PledgeEvent.Kind.COMPANY_REPLY:
            # The company's own words, through the same sanitising Markdown as on the page.
            return render_markdown(item.rationale)
        # Atom1Feed labels the summary type="html": readers un-escape the XML and render
        # the result as HTML, so the plain-text rationale must be HTML-escaped first.
        return linebreaksbr(escape(item.rationale or item.headline))

    def item_link(self, item):
        return absolute(item.pledge.get_absolute_url()) + f"#event-{item.pk}"

    def item_guid(self, item):
        return f"tag:{site.address()},2020:event/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return calendar.start_of_day(item.occurred_on)

    def item_updateddate(self, item):
        return item.recorded_at

    def item_author_name(self, item):
        return "Commitment Tracker"

    def item_categories(self, item):
        return [item.get_kind_display()]


class CompanyEventFeed(EventFeed):
    def feed_url(self, obj):
        return absolute(reverse("commitments:company_feed", args=[obj.slug]))

    def get_object(self, request, slug):
        return get_object_or_404(Company.objects.public(), slug=slug)

    def title(self, obj):
        return f"{obj.name} pledges — Commitment Tracker"

    def events(self, obj):
        # Found through the company's pledges, then the newest picked here: asked for
        # "newest first, 50", PostgreSQL walks the whole timeline's index and drops other
        # companies' events, 130 ms for the biggest company at bench scale; this is 28 ms.
        keys = (
            PledgeEvent.objects.public()
            .filter(pledge__company=obj)
            .order_by()
            .values_list("occurred_on", "pk")
        )
        newest = heapq.nlargest(FEED_SIZE, keys)
        return PledgeEvent.objects.filter(pk__in=[pk for _, pk in newest])


class PledgeEventFeed(EventFeed):
    def feed_url(self, obj):
        return absolute(reverse("commitments:pledge_feed", args=[obj.slug]))

    def get_object(self, request, slug):
        return get_object_or_404(Pledge.objects.published().select_related("company"), slug=slug)

    def title(self, obj):
        return f"{obj.company.name}: {obj.title} — Commitment Tracker"

    def events(self, obj):
        return PledgeEvent.objects.current().filter(pledge=obj)
