"""Small pieces of changelist and form markup shared by the staff admin.

Every value that came from a user goes through ``format_html`` so it is escaped.
"""

from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commitments.domain import calendar

SOON_DAYS = 30

# Typed addresses without a scheme become https:// (Django 6's default, chosen now).
URL_FORMFIELDS = {models.URLField: {"assume_scheme": "https"}}


def deadline_badge(pledge):
    """ "in 12 days", "today", "overdue 41 days": how urgent the pledge is, at a glance."""
    if pledge.deadline is None:
        return mark_safe('<span class="tracker-badge none">no deadline</span>')  # noqa: S308
    days = (pledge.deadline - calendar.today()).days
    date = pledge.deadline.isoformat()
    if pledge.is_final:
        label, css = "closed", "closed"
    elif days < 0:
        label, css = f"overdue {-days} day{'s' if days != -1 else ''}", "overdue"
    elif days == 0:
        label, css = "due today", "soon"
    else:
        label = f"in {days} day{'s' if days != 1 else ''}"
        css = "soon" if days <= SOON_DAYS else "later"
    return format_html('{} <span class="tracker-badge {}">{}</span>', date, css, label)


def admin_link(obj, text=None):
    """A link to ``obj``'s change page in the admin."""
    opts = obj._meta.concrete_model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else str(obj))


def percent_delivered(pledge):
    percent = pledge.delivered_percent
    if percent is None:
        return "—"
    return f"{percent}%"
