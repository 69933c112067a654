from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from commitments.domain import calendar
from commitments.models import FINAL_STATUSES, Company, Pledge, Status
from commitments.public import charts
from commitments.public import listing as timeline
from commitments.public.caching import public_page

INDEX_PAGE_SIZE = 100


def _published_count():
    return Coalesce(
        Subquery(
            Pledge.objects.published()
            .filter(company=OuterRef("pk"))
            .order_by()
            .values("company")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


@require_safe
@public_page
def company_index(request):
    """Companies with published pledges, A–Z, a keyset page at a time (``?after=<name>``)."""
    # Names never hold NUL (validate_plain_text); PostgreSQL would refuse to compare one.
    after = request.GET.get("after", "")[:200].replace("\x00", "")
    companies = Company.objects.public()
    if after:
        companies = companies.filter(name__gt=after)
    rows = list(
        companies.annotate(pledge_count=_published_count())
        .order_by("name")
        .only("name", "slug", "description")[: INDEX_PAGE_SIZE + 1]
    )
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


def scorecard(company):
    """Counts by status, the kept-rate among final verdicts, and overdue pledges: one query."""
    published = Pledge.objects.published().filter(company=company)
    counts = published.aggregate(
        total=Count("pk"),
        overdue=Count(
            "pk",
            filter=Q(deadline__lt=calendar.today()) & ~Q(status__in=FINAL_STATUSES),
        ),
        **{status.value: Count("pk", filter=Q(status=status)) for status in Status},
    )
    by_status = {status.value: counts[status.value] for status in Status}
    rated = sum(by_status[s] for s in FINAL_STATUSES)
    return {
        "total": counts["total"],
        "overdue": counts["overdue"],
        "rows": [(status, by_status[status.value]) for status in Status],
        "rated": rated,
        "kept_rate": round(100 * by_status[Status.KEPT] / rated) if rated else None,
        "segments": charts.status_segments(by_status),
    }


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
        "score": scorecard(company),
        "money": money_totals(pledges),
        "chart": charts.deadline_chart(pledges),
    }
    return render(request, "commitments/company_detail.html", context)
