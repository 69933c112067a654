import statistics

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from commitments.domain import calendar
from commitments.models import FINAL_STATUSES, Company, ReplyRequest, Status
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


@require_safe
@public_page
def company_detail(request, slug):
    company = get_object_or_404(Company.objects.public(), slug=slug)
    pledges = list(
        timeline.with_deadline_moves(company.pledges.published())
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
        "structured_data": structured.ld_json(structured.organization(company)),
        "chart": charts.deadline_chart(pledges),
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
