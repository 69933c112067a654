"""The meter: how many published pledges hold each verdict, and how many are overdue.

One aggregate query answers every count (per status, overdue, total), for the whole
tracker or for one company. Each count links to the pledge list filtered to exactly
those pledges, so a number on the meter is always one click from the pledges behind it.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse

from commitments.domain import calendar
from commitments.models import FINAL_STATUSES, Pledge, Status
from commitments.public import charts

# Reading order of the meter: the verdicts first, then what is still open.
METER_ORDER = (
    Status.KEPT,
    Status.PARTIALLY_KEPT,
    Status.BROKEN,
    Status.STALLED,
    Status.IN_PROGRESS,
    Status.NOT_YET_RATED,
)


@dataclass
class MeterRow:
    status: str  # a Status value, or "overdue"
    label: str
    count: int
    url: str


@dataclass
class Meter:
    total: int
    overdue: int
    by_status: dict  # Status value → count
    rows: list  # MeterRow per status, in METER_ORDER
    overdue_row: MeterRow
    segments: list  # for the status bar (charts.status_segments)

    @property
    def rated(self):
        return sum(self.by_status[s] for s in FINAL_STATUSES)

    @property
    def kept_rate(self):
        """Kept among pledges with a final verdict, in whole percent; None before any."""
        rated = self.rated
        return round(100 * self.by_status[Status.KEPT] / rated) if rated else None


def pledge_list_url(**params):
    """The public pledge list filtered by ``params`` (empty values dropped)."""
    query = urlencode({k: v for k, v in params.items() if v})
    base = reverse("commitments:pledges")
    return f"{base}?{query}" if query else base


def meter(company=None):
    """Counts of published pledges (of ``company`` if given): one query."""
    pledges = Pledge.objects.published()
    if company is not None:
        pledges = pledges.filter(company=company)
    by_status = dict.fromkeys(Status.values, 0)
    overdue_count = 0
    grouped = (
        pledges.order_by()
        .values("status")
        .annotate(n=Count("pk"), past_deadline=Count("pk", filter=Q(deadline__lt=calendar.today())))
    )
    for row in grouped:
        by_status[row["status"]] = row["n"]
        if row["status"] not in FINAL_STATUSES:
            overdue_count += row["past_deadline"]
    slug = company.slug if company is not None else ""
    rows = [
        MeterRow(
            status.value,
            status.label,
            by_status[status.value],
            pledge_list_url(company=slug, status=status.value),
        )
        for status in METER_ORDER
    ]
    overdue = MeterRow(
        "overdue", "Overdue", overdue_count, pledge_list_url(company=slug, deadline="overdue")
    )
    return Meter(
        total=sum(by_status.values()),
        overdue=overdue_count,
        by_status=by_status,
        rows=rows,
        overdue_row=overdue,
        segments=charts.status_segments(by_status),
    )
