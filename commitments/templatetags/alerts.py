from django import template

from commitments.alerts.forms import SubscribeForm

register = template.Library()


@register.inclusion_tag("alerts/_form.html", takes_context=True)
def alert_form(context, pledge=None, company=None):
    """The sign-up form for a page: scopes offered follow the pledge or company shown."""
    return {
        "form": SubscribeForm(pledge=pledge or None, company=company or None),
        "csrf_token": context.get("csrf_token"),
    }
