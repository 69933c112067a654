"""The record-verdict and move-deadline pages of the pledge admin.

Both follow the same steps:

1. Refuse (403) unless the user holds the permission; the workflow checks it again.
2. Validate the form; a new source is built but not yet saved.
3. In one transaction: save the new source, call the workflow function with the
   version the form was opened at. A ValidationError or StaleEdit rolls it all
   back, so nothing is half-saved.
4. Show workflow errors next to their fields; a stale version re-opens the form
   on the current state, with a message saying what changed.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from commitments.admin.display import deadline_badge
from commitments.admin.forms import MoveDeadlineForm, RecordVerdictForm
from commitments.domain import tasks, workflow

# Keys of the workflow's and Source.full_clean()'s errors → the form field that shows them.
SOURCE_FIELDS = {
    "url": "new_source_url",
    "title": "new_source_title",
    "publisher": "new_source_publisher",
    "published_on": "new_source_published_on",
}
VERDICT_FIELDS = {
    **SOURCE_FIELDS,
    "sources": "existing_sources",
    "reply_anyway_reason": "record_anyway",
}
DEADLINE_FIELDS = {**SOURCE_FIELDS, "source": "existing_source"}


def record_verdict_view(model_admin, request, object_id):
    def run(form, pledge, new_source):
        sources = form.chosen_sources() + ([new_source] if new_source else [])
        return workflow.record_verdict(
            pledge,
            status=form.cleaned_data["status"],
            rationale=form.cleaned_data["rationale"],
            sources=sources,
            effective_on=form.cleaned_data["effective_on"],
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            reply_anyway_reason=form.reason_to_record_anyway(),
        )

    def done(pledge, event):
        return f"Recorded “{event.get_new_status_display()}” for “{pledge}”."

    return _workflow_page(
        model_admin,
        request,
        object_id,
        perm="commitments.record_verdict",
        form_class=RecordVerdictForm,
        field_map=VERDICT_FIELDS,
        title="Record a verdict",
        template="admin/commitments/pledge/record_verdict.html",
        run=run,
        done=done,
    )


def move_deadline_view(model_admin, request, object_id):
    def run(form, pledge, new_source):
        data = form.cleaned_data
        return workflow.move_deadline(
            pledge,
            new_deadline=None if data["indefinite"] else data["new_deadline"],
            rationale=data["rationale"],
            source=new_source or data["existing_source"],
            effective_on=data["effective_on"],
            actor=request.user,
            expected_version=data["version"],
        )

    def done(pledge, event):
        return f"{event.headline} for “{pledge}”."

    return _workflow_page(
        model_admin,
        request,
        object_id,
        perm="commitments.move_deadline",
        form_class=MoveDeadlineForm,
        field_map=DEADLINE_FIELDS,
        title="Move the deadline",
        template="admin/commitments/pledge/move_deadline.html",
        run=run,
        done=done,
    )


NEEDED_ROLE = {
    "commitments.record_verdict": "Recording a verdict needs the Reviewer role.",
    "commitments.move_deadline": "Moving a deadline needs the Editor or Reviewer role.",
}


def _workflow_page(
    model_admin, request, object_id, *, perm, form_class, field_map, title, template, run, done
):
    if not request.user.has_perm(perm):
        raise PermissionDenied(NEEDED_ROLE[perm])
    pledge = model_admin.get_object(request, unquote(object_id))
    if pledge is None:
        raise Http404("No pledge with that id.")
    next_url = _safe_next(request)
    stale = None

    if request.method == "POST":
        form = form_class(request.POST, pledge=pledge)
        if form.is_valid():
            try:
                with transaction.atomic():
                    new_source = form.new_source()
                    if new_source is not None:
                        new_source._change_reason = "Cited as evidence"
                        new_source.save()
                        tasks.archive_after_commit([new_source])
                    event = run(form, pledge, new_source)
            except workflow.StaleEdit as error:
                stale = error.pledge
                form = _reopen_on_current(form_class, request, stale, str(error))
            except ValidationError as error:
                form.add_workflow_errors(error, field_map)
            else:
                messages.success(request, done(pledge, event))
                change_url = reverse("admin:commitments_pledge_change", args=[pledge.pk])
                return HttpResponseRedirect(next_url or change_url)
    else:
        form = form_class(pledge=pledge)

    current = stale or pledge
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": str(current),
        "opts": model_admin.opts,
        "original": current,
        "pledge": current,
        "deadline_badge": deadline_badge(current),
        "recent_events": current.events.select_related("recorded_by").prefetch_related("sources")[
            :5
        ],
        "form": form,
        "next_url": next_url,
        "media": model_admin.media + form.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, template, context)


def _reopen_on_current(form_class, request, current, message):
    """Keep what the user typed, but at the current version, with the error on top."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = form_class(data, pledge=current)
    form.is_valid()
    form.add_error(None, f"{message} It is now “{current.get_status_display()}”.")
    return form


def _safe_next(request):
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None
