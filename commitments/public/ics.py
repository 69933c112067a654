"""iCalendar feeds of deadlines, for calendar apps to subscribe to.

One all-day VEVENT per pledge on its deadline day. The UID is derived from the
pledge id, not the date, so when a deadline moves subscribers see the event move
(SEQUENCE follows the pledge's version) instead of a duplicate appearing.
"""

import datetime as dt

from django.conf import settings
from icalendar import Calendar, Event

from commitments.domain import calendar, site


def build_calendar(pledges, *, name, description=""):
    cal = Calendar()
    cal.add("prodid", "-//Commitment Tracker//Pledge deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # A property value may not hold a raw line break (a company name from an import might).
    cal.add("x-wr-calname", " ".join(name.split()))
    cal.add("x-wr-timezone", settings.TRACKER_TIME_ZONE)
    if description:
        cal.add("x-wr-caldesc", description)
    for pledge in pledges:
        url = settings.SITE_URL + pledge.get_absolute_url()
        event = Event()
        event.add("uid", f"pledge-{pledge.pk}-deadline@{site.hostname()}")
        event.add("dtstamp", pledge.updated_at or calendar.start_of_day(calendar.today()))
        event.add("dtstart", pledge.deadline)
        event.add("dtend", pledge.deadline + dt.timedelta(days=1))
        event.add("summary", f"Deadline: {pledge.company.name} — {pledge.title}")
        event.add(
            "description",
            f"Status: {pledge.get_status_display()}.\n"
            f"What would count as kept: {pledge.success_criteria}\n\n{url}",
        )
        event.add("url", url)
        event.add("sequence", pledge.version)
        event.add("transp", "TRANSPARENT")
        event.add("categories", [pledge.get_category_display()])
        cal.add_component(event)
    return cal.to_ical()
