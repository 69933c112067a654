from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from commitments.alerts.forms import SubscribeForm
from commitments.public.caching import memoise

register = template.Library()


@register.simple_tag
def alert_form(pledge=None, company=None):
    """The sign-up form for a page: scopes offered follow the pledge or company shown.

    Rendered once per pledge/company and content version (Django's widget templates
    made it a third of the timeline's render time). It carries NO CSRF token: the pages
    it sits on are cached and served to everyone, and a token in them would hand one
    visitor's CSRF secret (perhaps a logged-in staff member's) to the next. The sign-up
    endpoint is CSRF-exempt instead; see ``commitments.alerts.views.subscribe``.
    """
    pledge, company = pledge or None, company or None

    def render():
        form = SubscribeForm(pledge=pledge, company=company)
        return render_to_string("alerts/_form.html", {"form": form, "csrf_token": ""})

    key = f"alert-form:{getattr(pledge, 'pk', '')}:{getattr(company, 'pk', '')}"
    return mark_safe(memoise(key, render))  # noqa: S308 - rendered by a template
