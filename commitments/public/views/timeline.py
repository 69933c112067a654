from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from commitments.models import FINAL_STATUSES, Company, Pledge, PledgeEvent
from commitments.public import listing as timeline
from commitments.public import meter
from commitments.public.caching import memoise, public_page

BLOCK_SIZE = 8
# What an event row shows (``timeline_events``), read as plain tuples: building three model
# instances per row was a third of the page's time.
TIMELINE_COLUMNS = [
    "pk",
    "kind",
    "occurred_on",
    "new_status",
    "old_deadline",
    "new_deadline",
    "pledge__slug",
    "pledge__title",
    "pledge__status",
    "pledge__company__slug",
    "pledge__company__name",
    # A "payment confirmed" event's headline names the payment.
    "disbursement__amount",
    "disbursement__currency",
    "disbursement__recipient",
]
# Above this many companies the filter becomes a text field: a select would weigh megabytes.
COMPANY_SELECT_LIMIT = 200


def company_choices():
    """(slug, name) of companies with published pledges, or None when there are too many."""
    rows = list(
        Company.objects.public()
        .order_by("name")
        .values_list("slug", "name")[: COMPANY_SELECT_LIMIT + 1]
    )
    return rows if len(rows) <= COMPANY_SELECT_LIMIT else None


def year_range():
    """Years from the first to the latest public event, newest first (two index probes)."""
    events = PledgeEvent.objects.public()
    first = events.order_by("occurred_on", "pk").values_list("occurred_on", flat=True)[:1]
    last = events.order_by("-occurred_on", "-pk").values_list("occurred_on", flat=True)[:1]
    if not first or not last:
        return []
    return list(range(last[0].year, first[0].year - 1, -1))


def _block(queryset):
    rows = list(queryset.select_related("company")[: BLOCK_SIZE + 1])
    return rows[:BLOCK_SIZE], len(rows) > BLOCK_SIZE


@require_safe
@public_page
def home(request):
    if request.GET.keys() & timeline.FilterForm.base_fields.keys():
        form = timeline.FilterForm(request.GET)
        filters = form.filters()
        filter_form = _filter_form(form, filters)
    else:
        # Most visits: no filters, so the same form for everyone until the next edit.
        form, filters = None, {}
        filter_form = memoise("filter-form", lambda: _filter_form(timeline.FilterForm(), {}))
    before = timeline.parse_cursor(request.GET.get("before"))
    after = timeline.parse_cursor(request.GET.get("after"))
    events = timeline.public_events(filters).values_list(*TIMELINE_COLUMNS, named=True)
    page = timeline.page_of_events(events, before=before, after=after)
    context = {
        "form": form,
        "filter_form": mark_safe(filter_form),  # noqa: S308 - rendered by a template
        "filters": filters,
        "page": page,
        "years_of_events": timeline.group_by_month(page.items),
        "first_page": before is None and after is None,
        "query": _query_without_cursor(request),
    }
    # The whole tracker's meter, whatever the filters: the same for every reader until
    # the next edit or midnight, so rendered once per content version.
    context["meter"] = memoise("meter", _meter)
    if "search" in filters:
        # The best matches take the place of the "coming up" and "overdue" boxes.
        if context["first_page"]:
            results, count, more = timeline.search_results(filters)
            context |= {"results": results, "result_count": count, "results_more": more}
    # A final-status filter would make both blocks empty by definition: skip their queries.
    elif context["first_page"] and filters.get("status") not in FINAL_STATUSES:
        # The same for every reader until the next edit or midnight (both change the
        # content version), so rendered once, not on every visit of the home page.
        key = "home-blocks:" + ",".join(
            f"{name}={getattr(value, 'slug', value)}" for name, value in sorted(filters.items())
        )
        context["blocks"] = memoise(key, lambda: _blocks(filters))
    return render(request, "commitments/home.html", context)


def _filter_form(form, filters):
    context = {
        "form": form,
        "filters": filters,
        "companies": memoise("company-choices", company_choices),
        "years": memoise("year-range", year_range),
    }
    return render_to_string("commitments/_filters.html", context)


def _meter():
    context = {"meter": meter.meter(), "meter_heading": "All pledges at a glance"}
    return render_to_string("commitments/_meter.html", context)


def _blocks(filters):
    """The "coming up" and "overdue" boxes above page 1, as HTML."""
    pledges = timeline.filter_pledges(Pledge.objects.published(), filters).defer(
        "summary", "success_criteria"
    )
    context = {"filtered": bool(filters)}
    context["upcoming"], context["more_upcoming"] = _block(pledges.upcoming(days=90))
    context["overdue"], context["more_overdue"] = _block(
        pledges.overdue().order_by("-deadline", "-pk")
    )
    return render_to_string("commitments/_home_blocks.html", context)


def _query_without_cursor(request):
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    if len(query.get("q", "")) > timeline.SEARCH_MAX_LENGTH:
        query["q"] = query["q"][: timeline.SEARCH_MAX_LENGTH]
    return query.urlencode()
