from django.db.models import Count, F, OuterRef, Q, Subquery
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
PLEDGE_PAGE_SIZE = 40


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
    """A company's scorecard, deadline chart and pledges, newest first, 40 a page.

    Pages are keyset pages (``?after=<announced_on>.<id>`` of the last pledge shown), so
    the biggest company costs what a small one does: the scorecard is one aggregate, the
    chart reads its first rows by deadline, the list reads one page.
    """
    company = get_object_or_404(Company.objects.public(), slug=slug)
    published = company.pledges.published()
    score = scorecard(company)
    if not score["total"]:
        raise Http404("No published pledges")  # a company being prepared stays private
    after = timeline.parse_cursor(request.GET.get("after"))
    pledges = timeline.with_deadline_moves(published).defer("summary", "success_criteria")
    if after is not None:
        day, pk = after
        pledges = pledges.filter(announced_on__lte=day).filter(
            Q(announced_on__lt=day) | Q(pk__lt=pk)
        )
    rows = list(pledges.order_by("-announced_on", "-pk")[: PLEDGE_PAGE_SIZE + 1])
    page = rows[:PLEDGE_PAGE_SIZE]
    chart_rows = list(
        published.only(
            "pk", "company_id", "slug", "title", "status", "announced_on", "deadline"
        ).order_by(F("deadline").asc(nulls_last=True), "pk")[: charts.MAX_CHART_ROWS]
    )
    for pledge in [*page, *chart_rows]:
        pledge.company = company  # the templates name it; no query per pledge
    last = page[-1] if page else None
    context = {
        "company": company,
        "pledges": page,
        "paged": after is not None,
        "next_after": (
            f"{last.announced_on.isoformat()}.{last.pk}" if len(rows) > PLEDGE_PAGE_SIZE else None
        ),
        "score": score,
        "chart": charts.deadline_chart(chart_rows, total=score["total"]),
    }
    return render(request, "commitments/company_detail.html", context)
