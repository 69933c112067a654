"""The alert sign-up form on public pages, rendered once per pledge/company and content version.

Kept (issue 14) because the timeline's throughput target (>= 10 % of a static file) is not
met without it. Measured alone on PostgreSQL against the form rendered by Django on every
page (a ``simple_tag`` returning ``render_to_string``), ``python -m bench --scale 0.3 --skip
throughput,sweep,linkcheck,fanout`` (2 shared cores), two pairs in opposite order: timeline
5.63 ms with it against 11.88 ms without (2.1x, load ~5), 4.76 against 8.81 ms (1.85x,
load ~3.3). Throughput (``--skip sweep,linkcheck --servers granian``, python client): the
uncached timeline at 6.9 % of a static file without the cached form (132.6 against 1,917.8
req/s; links.py also gone, which measured no difference) and 12.6 % with it (190.2 against
1,512.3 req/s).

Whether cached or not, the form carries no CSRF token (see ``alert_form``), so the sign-up
view stays CSRF-exempt either way.
"""

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
        return render_to_string("alerts/_form.html", {"form": form})

    key = f"alert-form:{getattr(pledge, 'pk', '')}:{getattr(company, 'pk', '')}"
    return mark_safe(memoise(key, render))  # noqa: S308 - rendered by a template
