from django import template
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.text import capfirst

from commitments.domain import calendar
from commitments.models import Pledge, Source

register = template.Library()


@register.inclusion_tag("admin/commitments/_queue_panel.html", takes_context=True)
def awaiting_verdict_panel(context):
    """The reviewers' queue and its size, shown on the admin index."""
    user = context["request"].user
    if not (user.has_perm("commitments.view_pledge") or user.has_perm("commitments.change_pledge")):
        return {"show": False}
    return {"show": True, "count": Pledge.objects.awaiting_verdict().count()}


@register.inclusion_tag("admin/commitments/_broken_sources_panel.html", takes_context=True)
def broken_sources_panel(context):
    """How many sources the link checker calls broken, linked to that filter."""
    user = context["request"].user
    if not user.has_perm("commitments.view_source"):
        return {"show": False}
    return {
        "show": True,
        "count": Source.objects.broken().count(),
        "days": settings.TRACKER_SOURCE_BROKEN_DAYS,
    }


@register.filter
def tracker_time(moment):
    """An aware datetime in the tracker's zone, the zone named: "10 June 2021, 14:05 PDT"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, calendar.tracker_zone())
    return f"{calendar.human_date(local.date())}, {local:%H:%M} {local.tzname()}"


def _shown(field, value):
    """A stored value as staff read it: choice labels, related objects' names, "—" for none."""
    if value in (None, ""):
        return "—"
    if field is None:
        return str(value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target is not None else f"#{value} (deleted)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@register.simple_tag
def history_changes(record):
    """[(label, old, new)] for one history row, read as staff would say it."""
    if record.history_type != "~" or record.prev_record is None:
        return []
    model = record.instance_type
    changes = []
    for change in record.diff_against(record.prev_record).changes:
        try:
            field = model._meta.get_field(change.field)
        except FieldDoesNotExist:
            field = None
        label = capfirst(field.verbose_name) if field is not None else change.field
        changes.append((label, _shown(field, change.old), _shown(field, change.new)))
    return changes
