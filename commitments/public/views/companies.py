import statistics
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from commitments.domain import calendar
from commitments.models import FINAL_STATUSES, Company, ReplyRequest, Status
from commitments.models.pledges import CENT
from commitments.public import charts, meter, structured
from commitments.public import listing as timeline
from commitments.public.caching import public_page

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)

INDEX_PAGE_SIZE = 100
PLEDGE_PAGE_SIZE = 25


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
    confirmed: unknown, not zero) and unconfirmed, over every pledge in ``pledges`` (a
    queryset). Amounts in different currencies are never added together. One query."""
    rows = (
        pledges.filter(amount_pledged__isnull=False)
        .with_money()
        .order_by()
        .values("currency")
        .annotate(
            pledged=Sum("amount_pledged"),
            delivered=Sum("confirmed_delivered"),
            # Per pledge, then summed: one pledge over-delivered must not hide another's gap.
            unconfirmed=Sum(
                Greatest(
                    F("amount_pledged") - Coalesce("confirmed_delivered", Value(ZERO)),
                    Value(ZERO),
                    output_field=MONEY,
                )
            ),
        )
        .order_by("currency")
    )
    totals = []
    for row in rows:
        delivered = row["delivered"]
        if delivered is not None:
            # SQLite hands a sum back without its cents; the amounts are stored with them.
            delivered = Decimal(delivered).quantize(CENT)
        totals.append(
            {
                "currency": row["currency"],
                "pledged": row["pledged"],
                "delivered": delivered,
                "unconfirmed": Decimal(row["unconfirmed"]).quantize(CENT),
            }
        )
    return totals


@require_safe
@public_page
def company_detail(request, slug):
    """A company's scorecard, money, deadline chart and pledges, newest first, 25 a page.

    Pages are keyset pages (``?after=<announced_on>.<id>`` of the last pledge shown), so
    the biggest company costs what a small one does: the scorecard and the money are
    aggregates, the chart reads its first rows by deadline, the list reads one page.
    """
    company = get_object_or_404(Company, slug=slug)
    published = company.pledges.published()
    score = meter.meter(company)
    if not score.total:
        # A company being prepared stays private: the scorecard's count is the check that
        # Company.objects.public() would make again.
        raise Http404("No published pledges")
    after = timeline.parse_cursor(request.GET.get("after"))
    pledges = timeline.with_deadline_moves(
        published.only("company", "title", "slug", "category", "announced_on", "deadline", "status")
    )
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
        "meter": score,
        "money": money_totals(published),
        "structured_data": structured.ld_json(structured.organization(company)),
        "chart": charts.deadline_chart(chart_rows, total=score.total),
        "replies": reply_record(company),
    }
    return render(request, "commitments/company_detail.html", context)


def reply_record(company):
    """How the company used its right of reply: one query.

    Counted only from requests whose story is public (``ReplyRequest.objects.public``):
    the reply-by day ended ("no response" recorded), or a reply was published. A request
    still open, or whose reply staff have not published, is not counted either way.
    """
    rows = list(
        ReplyRequest.objects.public()
        .filter(pledge__company=company)
        .values_list("sent_at", "reply__submitted_at", "reply__event")
    )
    if not rows:
        return None
    zone = calendar.tracker_zone()
    days = sorted(
        (
            timezone.localdate(submitted, timezone=zone) - timezone.localdate(sent, timezone=zone)
        ).days
        for sent, submitted, event in rows
        if event is not None
    )
    return {
        "made": len(rows),
        "answered": len(days),
        "rate": round(100 * len(days) / len(rows)),
        "median_days": statistics.median(days) if days else None,
    }
