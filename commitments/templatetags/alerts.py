from django import template
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from commitments.alerts.forms import SubscribeForm
from commitments.caching import memoise

register = template.Library()

# Stands in for the CSRF token in the shared rendering; each request puts its own in.
CSRF_PLACEHOLDER = "__ALERT_FORM_CSRF_TOKEN__"


@register.simple_tag(takes_context=True)
def alert_form(context, pledge=None, company=None):
    """The sign-up form for a page: scopes offered follow the pledge or company shown.

    Rendered once per pledge/company and content version (Django's widget templates
    made it a third of the timeline's render time), then given this request's token.
    """
    pledge, company = pledge or None, company or None

    def render():
        form = SubscribeForm(pledge=pledge, company=company)
        return render_to_string("alerts/_form.html", {"form": form, "csrf_token": CSRF_PLACEHOLDER})

    key = f"alert-form:{getattr(pledge, 'pk', '')}:{getattr(company, 'pk', '')}"
    html = memoise(key, render)
    token = context.get("csrf_token")
    return mark_safe(html.replace(CSRF_PLACEHOLDER, escape(str(token)) if token else ""))  # noqa: S308 - rendered by a template, token escaped
