"""Deadline calendars and pledge exports: the same published pledges, as files.

The whole-table ones (/pledges.csv, /pledges.json, /deadlines.ics without filters) are
served from files a task builds (``commitments.public.exports``); filtered ones are small
and built per request.
"""

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from commitments.models import Company, Pledge
from commitments.public import exports, ics
from commitments.public import listing as timeline
from commitments.public.caching import public_page
from commitments.public.cors import open_to_all_origins


def _calendar_response(pledges, *, name, filename, description=""):
    response = HttpResponse(
        ics.build_calendar(exports.calendar_pledges(pledges), name=name, description=description),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _whole_table(request):
    """True when no filter is asked for: the prebuilt file answers."""
    return not any(request.GET.get(name) for name in timeline.PledgeFilterForm.base_fields)


# The whole-table views serve the files the build task wrote (public/exports.py); until
# the first build (a fresh install, the tests) they build the answer in the request, as
# before: correct at once, and slow only until the next minute's tick.
@open_to_all_origins
@require_safe
def calendar_all(request):
    return exports.serve(request, "deadlines.ics") or _calendar_all_live(request)


@public_page
def _calendar_all_live(request):
    response = HttpResponse(exports.site_calendar(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response


@open_to_all_origins
@require_safe
@public_page
def calendar_company(request, slug):
    company = get_object_or_404(Company.objects.public(), slug=slug)
    pledges = company.pledges.published().with_deadline()
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
    return exports.export_queryset(timeline.PledgeFilterForm(request.GET).filters())


@open_to_all_origins
@require_safe
def export_csv(request):
    return (_whole_table(request) and exports.serve(request, "pledges.csv")) or _live_csv(request)


@open_to_all_origins
@require_safe
def export_json(request):
    return (_whole_table(request) and exports.serve(request, "pledges.json")) or _live_json(request)


@public_page(store=False)
def _live_csv(request):
    chunks = exports.csv_chunks(_export_queryset(request))
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pledges.csv"'
    return response


@public_page(store=False)
def _live_json(request):
    chunks = exports.json_chunks(_export_queryset(request))
    response = StreamingHttpResponse(chunks, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="pledges.json"'
    return response
