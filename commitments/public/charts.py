"""Geometry for the server-side SVG pictures; the templates only draw what this returns.

Every bar is paired with text (title, status, dates) in the HTML around it, so the
colour only repeats what the words already say. Coordinates are percentages of a
``viewBox="0 0 100 …"`` stretched to the container, so no inline style is needed.
"""

import datetime as dt
from dataclasses import dataclass

from commitments.domain import calendar
from commitments.models import Status

MAX_CHART_ROWS = 25


@dataclass
class Bar:
    pledge: object
    x: float
    width: float
    open_ended: bool


@dataclass
class DeadlineChart:
    bars: list
    start: dt.date
    end: dt.date
    today_x: float | None
    hidden: int


def _position(day, start, span_days):
    return round(100 * (day - start).days / span_days, 2)


def deadline_chart(pledges, *, limit=MAX_CHART_ROWS, total=None):
    """Bars from announcement to deadline (or to today's edge when there is none).

    ``pledges`` may be the first ``limit`` by deadline already (``total`` then says how many
    there are in all), so a company with hundreds of pledges is not read whole for 25 bars.
    """
    pledges = list(pledges)
    shown = sorted(pledges, key=lambda p: (p.deadline or dt.date.max, p.pk))[:limit]
    if not shown:
        return None
    today = calendar.today()
    start = min(p.announced_on for p in shown)
    start = dt.date(start.year, 1, 1)
    end = max([today, *(p.deadline for p in shown if p.deadline)])
    end = dt.date(end.year, 12, 31)
    span = max((end - start).days, 1)
    bars = []
    for pledge in shown:
        stop = pledge.deadline or end
        x = _position(pledge.announced_on, start, span)
        width = max(_position(stop, start, span) - x, 0.8)
        bars.append(Bar(pledge, x, width, pledge.deadline is None))
    return DeadlineChart(
        bars=bars,
        start=start,
        end=end,
        today_x=_position(today, start, span),
        hidden=(len(pledges) if total is None else total) - len(shown),
    )


@dataclass
class Segment:
    status: str
    label: str
    count: int
    x: float
    width: float


def status_segments(counts):
    """A stacked bar of pledge counts by status, in the order statuses are listed."""
    total = sum(counts.values())
    segments, x = [], 0.0
    for status in Status:
        count = counts.get(status.value, 0)
        if not count:
            continue
        width = round(100 * count / total, 2)
        segments.append(Segment(status.value, status.label, count, round(x, 2), width))
        x += width
    return segments
