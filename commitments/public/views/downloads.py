"""Deadline calendars and pledge exports: the same published pledges, as files."""

import csv
import datetime as dt
import json

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from commitments.domain import calendar
from commitments.domain.spreadsheets import inert_cell
from commitments.models import Company, Pledge
from commitments.public import ics
from commitments.public import listing as timeline
from commitments.public import records as opendata
from commitments.public.caching import public_page
from commitments.public.cors import open_to_all_origins

# The site-wide calendar skips long-past deadlines: subscribers want what is coming.
CALENDAR_PAST_DAYS = 365
CALENDAR_COVERS = (
    "Deadlines of published pledges, from one year ago onwards. Pledges with no end date "
    "(never stated, or extended until further notice) have no deadline to show."
)
EXPORT_CHUNK = 2000


def _calendar_response(pledges, *, name, filename, description=""):
    pledges = pledges.select_related("company").defer("summary").order_by("deadline", "pk")
    response = HttpResponse(
        ics.build_calendar(pledges, name=name, description=description),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@open_to_all_origins
@require_safe
@public_page
def calendar_all(request):
    since = calendar.today() - dt.timedelta(days=CALENDAR_PAST_DAYS)
    pledges = Pledge.objects.published().filter(deadline__gte=since)
    return _calendar_response(
        pledges,
        name="Pledge deadlines — Commitment Tracker",
        filename="deadlines.ics",
        description=CALENDAR_COVERS,
    )


@open_to_all_origins
@require_safe
@public_page
def calendar_company(request, slug):
    company = get_object_or_404(Company.objects.public(), slug=slug)
    pledges = Pledge.objects.published().with_deadline().filter(company=company)
    return _calendar_response(
        pledges, name=f"{company.name} pledge deadlines", filename=f"{company.slug}.ics"
    )


@open_to_all_origins
@require_safe
@public_page
def calendar_pledge(request, slug):
    pledges = Pledge.objects.published().with_deadline().filter(slug=slug)
    get_object_or_404(pledges.only("pk"))
    return _calendar_response(pledges, name="Pledge deadline", filename=f"{slug}.ics")


def _export_queryset(request):
    filters = timeline.PledgeFilterForm(request.GET).filters()
    pledges = timeline.with_deadline_moves(timeline.public_pledges(filters))
    return pledges.select_related("company").order_by("pk")


def _cell(value):
    return "" if value is None else inert_cell(value)


class _Echo:
    def write(self, value):
        return value


@open_to_all_origins
@require_safe
@public_page(store=False)
def export_csv(request):
    pledges = _export_queryset(request)
    writer = csv.writer(_Echo())
    fields = list(opendata.PLEDGE_FIELDS)

    def rows():
        yield writer.writerow(fields)
        for pledge in pledges.iterator(chunk_size=EXPORT_CHUNK):
            record = opendata.pledge_record(pledge)
            yield writer.writerow([_cell(record[field]) for field in fields])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pledges.csv"'
    return response


@open_to_all_origins
@require_safe
@public_page(store=False)
def export_json(request):
    pledges = _export_queryset(request)

    def chunks():
        yield '{"pledges": ['
        for n, pledge in enumerate(pledges.iterator(chunk_size=EXPORT_CHUNK)):
            yield ("," if n else "") + json.dumps(opendata.pledge_record(pledge))
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="pledges.json"'
    return response
