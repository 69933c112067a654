"""Reading the public story: filters from the URL and keyset pages over events.

Pages are addressed by a cursor, ``<occurred_on>.<id>`` of the last (or first) event
shown, never by a page number: fetching "the 50 events before this one" walks the
``event_timeline`` index from that point, so page 1000 costs what page 1 costs and
no request counts the whole table.
"""

import datetime as dt

from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from commitments.domain import calendar
from commitments.models import Category, Company, Pledge, PledgeEvent, Status, search

SEARCH_MAX_LENGTH = 100
PAGE_SIZE = 50
SEARCH_RESULTS = 10  # the best matches listed above the timeline
# Matches ranked at most (the newest); more are counted as "500+". Finding the newest
# 1,000 of a common word read 12,000 rows (24 ms at bench scale); 500 read half of that.
SEARCH_RANKED = 500
# "Upcoming" on the pledge list: the same window as the home page's "coming up" box.
UPCOMING_DAYS = 90


class FilterForm(forms.Form):
    """The filter state of the timeline and the exports; every field is optional.

    Invalid values are reported next to their field and otherwise ignored, so a
    mistyped shared link still shows a page.
    """

    q = forms.CharField(label="Search", required=False, strip=True, max_length=SEARCH_MAX_LENGTH)
    company = forms.SlugField(required=False, max_length=220)
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *Category.choices]
    )
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *Status.choices])
    year = forms.IntegerField(required=False, min_value=1900, max_value=2200)

    def __init__(self, data=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and len(data.get("q", "")) > SEARCH_MAX_LENGTH:
            # Over-long searches are cut, not refused: the reader still gets results.
            data["q"] = data["q"][:SEARCH_MAX_LENGTH]
            self.search_truncated = True
        else:
            self.search_truncated = False
        super().__init__(data, **kwargs)
        self.search_corrected = None  # the words searched when the typed ones matched nothing

    def filters(self):
        """The valid filters, with ``company`` resolved to a Company (or dropped)."""
        self.is_valid()
        cleaned = {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}
        if "company" in cleaned:
            company = Company.objects.public().filter(slug=cleaned["company"]).first()
            if company is None:
                self.add_error("company", "No company with that name is tracked.")
                del cleaned["company"]
            else:
                cleaned["company"] = company
        if "q" in cleaned:
            # Decided once (words or a misspelling, see models/search.py), used by every list.
            found = search.find(Pledge.objects.published(), cleaned["q"], public=True)
            cleaned["search"], self.search_corrected = found.pledges, found.corrected
        return cleaned


class PledgeFilterForm(FilterForm):
    """The pledge list's filters: the timeline's, plus where the deadline stands and an order."""

    DEADLINES = [
        ("", "Any deadline"),
        ("overdue", "Overdue (passed, no final verdict)"),
        ("upcoming", f"Due in the next {UPCOMING_DAYS} days"),
        ("none", "No end date"),
    ]
    # sort value → (label, ordering); every ordering ends on pk so pages never overlap.
    SORTS = {
        "": ("Newest announced first", ("-announced_on", "-pk")),
        "announced": ("Oldest announced first", ("announced_on", "pk")),
        "deadline": ("Deadline, soonest first", (F("deadline").asc(nulls_last=True), "pk")),
        "company": ("Company, A to Z", ("company__name", "-announced_on", "pk")),
        "title": ("Title, A to Z", ("title", "pk")),
    }

    deadline = forms.ChoiceField(required=False, choices=DEADLINES)
    sort = forms.ChoiceField(
        required=False, choices=[(value, label) for value, (label, _) in SORTS.items()]
    )

    def ordering(self):
        return self.SORTS[self.cleaned_data.get("sort") or ""][1]


def filter_deadline(pledges, deadline):
    if deadline == "overdue":
        return pledges.overdue()
    if deadline == "upcoming":
        today = calendar.today()
        return pledges.not_final().filter(
            deadline__gte=today, deadline__lte=today + dt.timedelta(days=UPCOMING_DAYS)
        )
    if deadline == "none":
        return pledges.filter(deadline__isnull=True)
    return pledges


def filter_pledges(pledges, filters, *, prefix=""):
    """Apply ``filters`` to a pledge queryset, or through ``prefix`` (e.g. "pledge__")."""
    q = Q()
    if "company" in filters:
        q &= Q(**{f"{prefix}company": filters["company"]})
    if "category" in filters:
        q &= Q(**{f"{prefix}category": filters["category"]})
    if "status" in filters:
        q &= Q(**{f"{prefix}status": filters["status"]})
    if "q" in filters:
        found = filters.get("search")
        if found is None:
            found = Pledge.objects.search(filters["q"], public=True)
        q &= Q(**{f"{prefix or 'pk__'}in": found.order_by().values("pk")})
    return pledges.filter(q)


def public_pledges(filters=None, pledges=None):
    """Published pledges matching the timeline filters (year: any event the history holds
    in that year), with their confirmed money annotated (``with_money``) for the exports
    and the API."""
    pledges = (Pledge.objects if pledges is None else pledges).published().with_money()
    filters = filters or {}
    pledges = filter_pledges(pledges, filters)
    if "deadline" in filters:
        pledges = filter_deadline(pledges, filters["deadline"])
    if "year" in filters:
        pledges = pledges.filter(
            Exists(
                PledgeEvent.objects.current().filter(
                    pledge=OuterRef("pk"), occurred_on__year=filters["year"]
                )
            )
        )
    return pledges


def search_results(filters, size=SEARCH_RESULTS):
    """(the best ``size`` published pledges for the search in ``filters``, how many match,
    whether more than ``SEARCH_RANKED`` match).

    The other filters narrow the search; its order (best first) is kept. Ranking reads
    every candidate, so a common word ranks its ``SEARCH_RANKED`` newest matches and the
    page says "500+": the cost stays that of 500 rows, not of a tenth of the table.

    Two queries: the ranks of the newest matches, read in one pass of the primary key
    index, then the ``size`` best rows with their company and money. Ranking and
    counting in the same query as the rows read each candidate twice and joined its
    company before keeping ten (10.4 ms of database time at bench scale; 5.7 + 0.5 ms so).
    """
    others = {k: v for k, v in filters.items() if k not in ("q", "search")}
    found = public_pledges(others, pledges=filters["search"])
    newest = list(found.order_by("-pk").values_list("pk", "search_rank")[: SEARCH_RANKED + 1])
    ranked = sorted(newest[:SEARCH_RANKED], key=lambda row: (row[1], row[0]), reverse=True)
    best_pks = [pk for pk, _rank in ranked[:size]]
    # Shown in the search's own order, best first: on PostgreSQL that is the order of
    # ``ranked``. SQLite ranks nothing (every rank 0): the newest by id are chosen, and
    # shown newest announced first.
    best = found.filter(pk__in=best_pks).defer("summary", "success_criteria")
    return list(best.select_related("company")), len(ranked), len(newest) > SEARCH_RANKED


def public_events(filters=None):
    events = PledgeEvent.objects.public()
    filters = filters or {}
    events = filter_pledges(events, filters, prefix="pledge__")
    if "year" in filters:
        year = filters["year"]
        events = events.filter(
            occurred_on__gte=dt.date(year, 1, 1), occurred_on__lte=dt.date(year, 12, 31)
        )
    return events


def parse_cursor(value):
    """``"2021-06-10.42"`` → (date, 42); anything else → None."""
    try:
        day, pk = str(value).split(".", 1)
        return dt.date.fromisoformat(day), int(pk)
    except (TypeError, ValueError):
        return None


def format_cursor(event):
    return f"{event.occurred_on.isoformat()}.{event.pk}"


class EventPage:
    """One keyset page of events, newest first, and cursors to its neighbours."""

    def __init__(self, items, *, older, newer):
        self.items, self.older, self.newer = items, older, newer


def page_of_events(events, *, before=None, after=None, size=PAGE_SIZE):
    """The ``size`` events just before (older than) or after (newer than) a cursor.

    The redundant ``occurred_on <=`` bound lets the database start its index scan at
    the cursor instead of filtering from the newest row down.
    """
    if after is not None:
        day, pk = after
        rows = list(
            events.filter(occurred_on__gte=day)
            .filter(Q(occurred_on__gt=day) | Q(pk__gt=pk))
            .order_by("occurred_on", "pk")[: size + 1]
        )
        has_newer = len(rows) > size
        items = rows[:size][::-1]
        return EventPage(
            items,
            older=format_cursor(items[-1]) if items else None,
            newer=format_cursor(items[0]) if has_newer else None,
        )
    if before is not None:
        day, pk = before
        events = events.filter(occurred_on__lte=day).filter(Q(occurred_on__lt=day) | Q(pk__lt=pk))
    rows = list(events.order_by("-occurred_on", "-pk")[: size + 1])
    items = rows[:size]
    return EventPage(
        items,
        older=format_cursor(items[-1]) if len(rows) > size else None,
        newer=format_cursor(items[0]) if before is not None and items else None,
    )


def with_deadline_moves(pledges):
    """Annotate ``deadline_moves``: how often the deadline was moved, in the same query."""
    moves = (
        PledgeEvent.objects.filter(pledge=OuterRef("pk"), kind=PledgeEvent.Kind.DEADLINE_CHANGED)
        .order_by()
        .values("pledge")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return pledges.annotate(deadline_moves=Coalesce(Subquery(moves), 0))


MONTH_NAMES = ("", *(dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)))


def group_by_month(events):
    """[(year, [(“June 2021”, [events…]), …]), …] in the order given (newest first)."""
    years = []
    for event in events:
        day = event.occurred_on
        if not years or years[-1][0] != day.year:
            years.append((day.year, []))
        months = years[-1][1]
        label = f"{MONTH_NAMES[day.month]} {day.year}"
        if not months or months[-1][0] != label:
            months.append((label, []))
        months[-1][1].append(event)
    return years
