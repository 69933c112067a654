from django import template
from django.template.loader import render_to_string

from commitments.alerts.forms import SubscribeForm

register = template.Library()


@register.simple_tag
def alert_form(pledge=None, company=None):
    """The sign-up form for a page: scopes offered follow the pledge or company shown.

    It carries NO CSRF token: the pages it sits on are cached and served to everyone, and
    a token in them would hand one visitor's CSRF secret (perhaps a logged-in staff
    member's) to the next. The sign-up endpoint is CSRF-exempt instead; see
    ``commitments.alerts.views.subscribe``. (Rendered apart from the page's context, not
    as an inclusion tag, because those copy the visitor's token in.)
    """
    form = SubscribeForm(pledge=pledge or None, company=company or None)
    return render_to_string("alerts/_form.html", {"form": form, "csrf_token": ""})
