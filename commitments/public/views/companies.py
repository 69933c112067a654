from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from commitments.models import FINAL_STATUSES, Company, Status
from commitments.public import charts, meter, structured
from commitments.public import listing as timeline
from commitments.public.caching import public_page

INDEX_PAGE_SIZE = 100


def _records():
    """Per company: published pledges, and how many are kept, partly kept, broken or open."""
    published = Q(pledges__is_published=True)
    return {
        "pledge_count": Count("pledges", filter=published),
        "kept": Count("pledges", filter=published & Q(pledges__status=Status.KEPT)),
        "partly": Count("pledges", filter=published & Q(pledges__status=Status.PARTIALLY_KEPT)),
        "broken": Count("pledges", filter=published & Q(pledges__status=Status.BROKEN)),
        "open": Count("pledges", filter=published & ~Q(pledges__status__in=FINAL_STATUSES)),
    }


@require_safe
@public_page
def company_index(request):
    """Companies with published pledges, A–Z, each with its record; a keyset page at a time
    (``?after=<name>``). One query: the counts are grouped over the join."""
    # Names never hold NUL (validate_plain_text); PostgreSQL would refuse to compare one.
    after = request.GET.get("after", "")[:200].replace("\x00", "")
    companies = Company.objects.public()
    if after:
        companies = companies.filter(name__gt=after)
    rows = list(
        companies.only("name", "slug", "description")
        .annotate(**_records())
        .order_by("name")[: INDEX_PAGE_SIZE + 1]
    )
    for company in rows:
        company.record_url = meter.pledge_list_url(company=company.slug)
    context = {
        "companies": rows[:INDEX_PAGE_SIZE],
        "next_after": rows[INDEX_PAGE_SIZE - 1].name if len(rows) > INDEX_PAGE_SIZE else None,
        "paged": bool(after),
    }
    return render(request, "commitments/company_index.html", context)


def money_totals(pledges):
    """Per currency, in code order: pledged, confirmed delivered (None when nothing is
    confirmed: unknown, not zero) and unconfirmed. Amounts in different currencies are
    never added together. Reads ``with_money`` annotations: no query."""
    totals = {}
    for pledge in pledges:
        if pledge.amount_pledged is None:
            continue
        row = totals.setdefault(
            pledge.currency, {"currency": pledge.currency, "pledged": 0, "delivered": None}
        )
        row["pledged"] += pledge.amount_pledged
        if pledge.amount_delivered is not None:
            row["delivered"] = (row["delivered"] or 0) + pledge.amount_delivered
    for row in totals.values():
        row["unconfirmed"] = max(row["pledged"] - (row["delivered"] or 0), 0)
    return [totals[code] for code in sorted(totals)]


@require_safe
@public_page
def company_detail(request, slug):
    company = get_object_or_404(Company.objects.public(), slug=slug)
    pledges = list(
        timeline.with_deadline_moves(company.pledges.published().with_money())
        .defer("summary", "success_criteria")
        .order_by("-announced_on", "-pk")
    )
    if not pledges:
        raise Http404("No published pledges")  # a company being prepared stays private
    for pledge in pledges:
        pledge.company = company  # the templates name it; no query per pledge
    context = {
        "company": company,
        "pledges": pledges,
        "meter": meter.meter(company),
        "money": money_totals(pledges),
        "structured_data": structured.ld_json(structured.organization(company)),
        "chart": charts.deadline_chart(pledges),
    }
    return render(request, "commitments/company_detail.html", context)
