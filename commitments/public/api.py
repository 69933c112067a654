"""A read-only JSON API: pledges, companies and events, a keyset page at a time.

Plain Django views: the API is small and read-only, so a framework would add more
surface than it saves. Every list answers ``{"data": [...], "next": url-or-null}``;
follow ``next`` until it is null. Field names are documented on the methodology page.
"""

from django.conf import settings
from django.db.models import Prefetch
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from commitments.models import Company, Disbursement, Pledge, PledgeEvent, Source
from commitments.public import listing as timeline
from commitments.public import records as opendata
from commitments.public.caching import public_page
from commitments.public.cors import open_to_all_origins

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


def _limit(request):
    try:
        return min(max(int(request.GET.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
    except ValueError:
        return None


def _next_url(request, **cursor):
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    query.update(cursor)
    return f"{settings.SITE_URL}{request.path}?{query.urlencode()}"


def _id_page(request, queryset, record):
    """Rows with id > ``after``, ascending: a stable order for crawling everything."""
    limit = _limit(request)
    after = request.GET.get("after", "0")
    # isdigit() alone accepts "²" and other digits int() refuses; ASCII keeps it whole numbers.
    if limit is None or not (after.isascii() and after.isdigit()):
        return _error("limit and after must be whole numbers.", 400)
    # Past any id a bigint holds, and int() refuses numbers of over 4,300 digits anyway.
    after_id = int(after) if len(after) <= MAX_ID_DIGITS else MAX_ID
    rows = list(queryset.filter(pk__gt=after_id).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return JsonResponse(
        {
            "data": [record(row) for row in rows],
            "next": _next_url(request, after=rows[-1].pk) if more else None,
        }
    )


@open_to_all_origins
@require_safe
@public_page
def pledges(request):
    filters = timeline.PledgeFilterForm(request.GET).filters()
    queryset = timeline.with_deadline_moves(timeline.public_pledges(filters)).select_related(
        "company"
    )
    return _id_page(request, queryset, opendata.pledge_record)


@open_to_all_origins
@require_safe
@public_page
def pledge(request, slug):
    queryset = (
        timeline.with_deadline_moves(Pledge.objects.published())
        .select_related("company")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=PledgeEvent.objects.current()
                .select_related("disbursement", "reply__request", "no_reply_request")
                .prefetch_related("sources")
                .order_by("-occurred_on", "-pk"),
            ),
            Prefetch("sources", queryset=Source.objects.order_by("published_on", "pk")),
            Prefetch("disbursements", queryset=Disbursement.objects.for_listing()),
        )
    )
    found = queryset.filter(slug=slug).first()
    if found is None:
        return _error("No published pledge has that slug.", 404)
    record = opendata.pledge_record(found)
    for event in found.events.all():
        event.pledge = found
    record["events"] = [opendata.event_record(event) for event in found.events.all()]
    record["disbursements"] = [
        opendata.disbursement_record(payment) for payment in found.disbursements.all()
    ]
    record["sources"] = [
        {
            "url": source.url,
            "title": source.title,
            "publisher": source.publisher,
            "published_on": source.published_on.isoformat() if source.published_on else None,
            "archive_url": source.archive_url or None,
            "archived_on": source.archived_on.isoformat() if source.archived_on else None,
            # Public: the link checker found the original failing for more than
            # TRACKER_SOURCE_BROKEN_DAYS (pages then lead with the archived copy).
            "broken_since": source.broken_since.date().isoformat() if source.broken_since else None,
        }
        for source in found.sources.all()
    ]
    return JsonResponse(record)


def _public_companies():
    return Company.objects.public()


@open_to_all_origins
@require_safe
@public_page
def companies(request):
    return _id_page(request, _public_companies(), opendata.company_record)


@open_to_all_origins
@require_safe
@public_page
def company(request, slug):
    found = _public_companies().filter(slug=slug).first()
    if found is None:
        return _error("No company with published pledges has that slug.", 404)
    record = opendata.company_record(found)
    record["pledges"] = [
        reverse("commitments:api_pledge", args=[slug])
        for slug in Pledge.objects.published()
        .filter(company=found)
        .order_by("pk")
        .values_list("slug", flat=True)
    ]
    record["pledges"] = [settings.SITE_URL + path for path in record["pledges"]]
    return JsonResponse(record)


@open_to_all_origins
@require_safe
@public_page
def events(request):
    """Newest first; ``before=<occurred_on>.<id>`` continues where ``next`` says."""
    limit = _limit(request)
    before = request.GET.get("before")
    cursor = timeline.parse_cursor(before) if before else None
    if limit is None or (before and cursor is None):
        return _error("limit must be a whole number and before look like 2021-06-10.42.", 400)
    filters = timeline.FilterForm(request.GET).filters()
    queryset = (
        timeline.public_events(filters)
        .select_related("pledge", "disbursement", "reply__request", "no_reply_request")
        .only(*EVENT_COLUMNS)
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("url")))
    )
    page = timeline.page_of_events(queryset, before=cursor, size=limit)
    return JsonResponse(
        {
            "data": [opendata.event_record(event) for event in page.items],
            "next": _next_url(request, before=page.older) if page.older else None,
        }
    )


EVENT_COLUMNS = [
    "pk",
    "kind",
    "occurred_on",
    "old_status",
    "new_status",
    "old_deadline",
    "new_deadline",
    "rationale",
    "pledge__slug",
    # A reply's author and links, and the request it answers (joins, not a query each).
    "reply__name",
    "reply__role",
    "reply__links",
    "reply__edited",
    "reply__request__sent_at",
    "reply__request__reply_by",
    "no_reply_request__sent_at",
    "no_reply_request__reply_by",
    "disbursement__amount",
    "disbursement__currency",
    "disbursement__recipient",
]
