from django import template

from commitments.models import Pledge

register = template.Library()


@register.inclusion_tag("admin/commitments/_queue_panel.html", takes_context=True)
def awaiting_verdict_panel(context):
    """The reviewers' queue and its size, shown on the admin index."""
    user = context["request"].user
    if not (user.has_perm("commitments.view_pledge") or user.has_perm("commitments.change_pledge")):
        return {"show": False}
    return {"show": True, "count": Pledge.objects.awaiting_verdict().count()}
