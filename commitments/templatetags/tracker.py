"""Template filters and tags of the public pages.

Two tags write HTML in Python rather than in a template: ``timeline_events`` (the
timeline's rows) and ``options`` (the filter ``<select>``s); every value they interpolate
is escaped. Kept because the timeline's target (<= 12 ms uncached, in-process) is not met
reliably without them. Measured alone (issue 14) against ``{% include %}`` templates with
``{% url %}`` per row and a template loop per select, on PostgreSQL with ``python -m bench
--scale 0.3 --skip throughput,sweep,linkcheck,fanout`` (2 shared cores), two pairs in
opposite order: timeline 4.97 ms with them against 10.47 ms without (2.1x, load ~3),
and 12.74 against 22.25 ms (1.75x, load ~4.3); the filtered timeline 8.0 against 15.4 ms
and 18.8 against 32.5 ms.
"""

import functools
import re
from html import escape as _escape

from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commitments.domain import calendar, markdown
from commitments.models import Pledge, PledgeEvent
from commitments.models.events import PAYMENT_KINDS
from commitments.models.pledges import STATUS_LABELS

register = template.Library()


@register.filter
def render_markdown(text):
    return markdown.render(text)


@register.filter
def money(amount, currency=""):
    """12345.5, "USD" → "USD 12,345.50"; whole amounts lose their cents."""
    if amount is None:
        return ""
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{currency} {text}".strip()


# The one date format of pages and emails ("10 June 2021"); ISO 8601 in machine attributes.
register.filter("human_date", calendar.human_date)


# A sentence ends at . ! or ? followed by a space and a capital, digit or opening quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"‘(])")


@register.filter
def first_sentence(text):
    """The first sentence of a plain-text paragraph (the whole text when it is one)."""
    text = " ".join(str(text or "").split())
    return _SENTENCE_END.split(text, maxsplit=1)[0]


@register.filter
def status_label(status):
    return STATUS_LABELS.get(status, status)


@register.filter
def status_badge(status):
    """A pledge's status as the coloured badge every page shows it with."""
    return format_html('<span class="badge badge-{}">{}</span>', status, status_label(status))


@register.filter
def deadline_note(pledge):
    """When a pledge is due, as every page says it: "Due 10 June 2021 — in 12 days",
    "— overdue 3 days", "Was due …" (a final verdict), "No deadline"."""
    if not pledge.deadline:
        moved = getattr(pledge, "deadline_moves", 0)  # annotated by the lists that show it
        label = "Extended with no end date" if moved else "No deadline"
        return format_html('<span class="deadline">{}</span>', label)
    due = calendar.human_date(pledge.deadline)
    if pledge.is_overdue:
        days = pledge.days_overdue
        return format_html(
            '<span class="deadline deadline-overdue">Due {} — overdue {} day{}</span>',
            due,
            days,
            pluralize(days),
        )
    days = pledge.days_left
    if days is not None:
        when = "today" if days == 0 else f"in {days} day{pluralize(days)}"
        return format_html('<span class="deadline">Due {} — {}</span>', due, when)
    return format_html('<span class="deadline">Was due {}</span>', due)


@register.simple_tag
def timeline_events(years_of_events):
    """The timeline's event list, built in Python: it is the hottest loop on the site.

    The same markup a template loop would give, at a fraction of the cost (a template
    resolves a dozen variables per row through several layers of lookups). Events are
    rows of ``commitments.public.views.timeline.TIMELINE_COLUMNS``.
    """
    out = []
    append = out.append

    def escape(value):
        # The standard library's escape, as Django's does, minus its lazy-string wrapper.
        return _escape(str(value))

    # A pledge or company often has several events on a page: one reverse() each.
    @functools.cache
    def pledge_url(slug):
        return escape(Pledge.path_for(slug))

    @functools.cache
    def company_url(slug):
        return escape(reverse("commitments:company", kwargs={"slug": slug}))

    for year, months in years_of_events:
        append(f'  <h2 class="year">{year}</h2>\n')
        for month, events in months:
            append(f'  <h3 class="month">{escape(month)}</h3>\n  <ol class="events">\n')
            for event in events:
                day = event.occurred_on
                payment = None
                if event.kind in PAYMENT_KINDS:
                    payment = (
                        event.disbursement__amount,
                        event.disbursement__currency,
                        event.disbursement__recipient,
                    )
                headline = PledgeEvent.describe(
                    event.kind, event.new_status, event.old_deadline, event.new_deadline, payment
                )
                status = event.pledge__status
                append(
                    f'    <li class="event event-{escape(event.kind)}">\n'
                    f'      <time datetime="{day.isoformat()}">{calendar.human_date(day)}</time>\n'
                    f'      <div class="event-body">\n'
                    f'        <span class="event-kind">{escape(headline)}</span>\n'
                    f'        <a class="event-pledge" href="{pledge_url(event.pledge__slug)}">'
                    f"{escape(event.pledge__title)}</a>\n"
                    f'        <span class="meta"><a href="{company_url(event.pledge__company__slug)}">'
                    f"{escape(event.pledge__company__name)}</a> · now "
                    f"{status_badge(status)}</span>\n"
                    f"      </div>\n    </li>\n"
                )
            append("  </ol>\n")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped above


@register.simple_tag
def options(choices, selected):
    """``<option>``s for a filter ``<select>``; ``choices`` are values or (value, label) pairs.

    A template loop costs a few lookups per option and the year list alone runs to
    dozens, on every timeline page.
    """
    selected = "" if selected is None else str(selected)
    out = []
    for choice in choices:
        value, label = choice if isinstance(choice, tuple | list) else (choice, choice)
        value = str(value)
        mark = " selected" if value == selected else ""
        out.append(f'<option value="{_escape(value)}"{mark}>{_escape(str(label))}</option>')
    return mark_safe("".join(out))  # noqa: S308 - values and labels are escaped above
