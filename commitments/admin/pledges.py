"""The pledge admin: where staff log pledges, and the doors to the workflow pages.

Status and deadline are read-only here: they change only through the
record-verdict and move-deadline pages, which call ``commitments.domain.workflow``
(a deadline may be set when a pledge is first added). Every save, bulk actions
included, goes through ``Pledge.save()`` one object at a time, so
django-simple-history records who changed what.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm

from commitments.admin import filters
from commitments.admin.disbursements import (
    DisbursementInline,
    save_payments,
    withdraw_payment_view,
)
from commitments.admin.display import URL_FORMFIELDS, deadline_badge, percent_delivered
from commitments.admin.history import HistoryAdmin
from commitments.admin.mixins import ActionCheckboxMixin, PledgeSearchMixin
from commitments.admin.replies import ask_view, requests_summary
from commitments.admin.resources import (
    IMPORT_EXAMPLE,
    IMPORT_FIELDS,
    PledgeExportResource,
    PledgeImportResource,
)
from commitments.admin.workflow_views import move_deadline_view, record_verdict_view
from commitments.domain import tasks
from commitments.models import Disbursement, Pledge, PledgeEvent, Source

# Fields only commitments.domain.workflow may change once a pledge exists.
WORKFLOW_FIELDS = ("status", "deadline", "version")


class SourceInline(admin.TabularInline):
    model = Source
    formfield_overrides = URL_FORMFIELDS
    extra = 0
    fields = ["url", "title", "publisher", "published_on", "archive_url"]


class AssignOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True),
        help_text="The staff member who will rule on these pledges.",
    )


class PledgeImportForm(ImportForm):
    create_missing_companies = forms.BooleanField(
        required=False,
        label="Create companies that do not exist yet",
        help_text="The preview lists the companies the import would create.",
    )


class PledgeConfirmImportForm(ConfirmImportForm):
    create_missing_companies = forms.BooleanField(required=False, widget=forms.HiddenInput())


class ExportFormStartingOnCSV(SelectableFieldsExportForm):
    """The format list starts on a real format (CSV), not on an empty "---"."""

    def _init_formats(self, formats):
        super()._init_formats(formats)
        field = self.fields["format"]
        field.choices = [choice for choice in field.choices if choice[0] != ""]
        field.initial = field.choices[0][0]


@admin.register(Pledge)
class PledgeAdmin(
    ActionCheckboxMixin, PledgeSearchMixin, ImportMixin, ExportActionMixin, HistoryAdmin
):
    resource_classes = [PledgeExportResource]
    import_template_name = "admin/commitments/pledge/import.html"
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    export_form_class = ExportFormStartingOnCSV
    change_list_template = "admin/commitments/pledge/pledge_change_list.html"
    change_form_template = "admin/commitments/pledge/pledge_change_form.html"
    show_change_form_export = False

    list_display = [
        "company",
        "title",
        "deadline_column",
        "status",
        "owner",
        "last_event_column",
        "delivered_column",
        "is_published",
    ]
    list_display_links = ["title"]
    list_select_related = ["company", "owner"]
    # A screenful (the queue shows as many): staff find a pledge by search and filters,
    # and every row costs the same Django cell rendering, eight columns and a link that
    # keeps the search.
    list_per_page = 25
    list_filter = [
        "status",
        "category",
        filters.CompanyFilter,
        filters.HasDeadlineFilter,
        filters.OverdueFilter,
        filters.AwaitingVerdictFilter,
        ("owner", filters.OwnerFilter),
        "is_published",
        # Not date_hierarchy: its year links cost a DISTINCT DATE_TRUNC scan of the whole
        # table on every view. This filter needs no query; ?announced_on__year= still works.
        ("announced_on", admin.DateFieldListFilter),
    ]
    autocomplete_fields = ["company", "owner"]
    inlines = [SourceInline, DisbursementInline]
    actions = ["publish_selected", "unpublish_selected", "assign_owner"]

    # --- Changelist -----------------------------------------------------------------

    def get_queryset(self, request):
        last_event = (
            PledgeEvent.objects.filter(pledge=OuterRef("pk"))
            .order_by("-occurred_on", "-pk")
            .values("occurred_on")[:1]
        )
        return (
            super().get_queryset(request).with_money().annotate(last_event_on=Subquery(last_event))
        )

    @admin.display(description="deadline", ordering="deadline")
    def deadline_column(self, pledge):
        return deadline_badge(pledge)

    @admin.display(description="last event", ordering="last_event_on")
    def last_event_column(self, pledge):
        return pledge.last_event_on or "—"

    @admin.display(description="delivered")
    def delivered_column(self, pledge):
        return percent_delivered(pledge)

    # --- Change form ----------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        main = ["company", "title", "success_criteria", "summary", "category", "announced_on"]
        if obj is None:
            main.append("deadline")
        main += ["owner", "is_published", "slug"]
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets.append(
                (
                    "Status and deadline",
                    {
                        "fields": ["status", "deadline_summary"],
                        "description": "These change only through “Record verdict” and “Move "
                        "deadline” (top right), so every change leaves a dated, sourced event.",
                    },
                )
            )
        if obj is not None:
            fieldsets.append(
                (
                    "Requests for comment",
                    {
                        "fields": ["reply_requests_display"],
                        "description": "The company's right of reply: “Ask for a response” "
                        "(top right) emails its contacts a link to answer.",
                    },
                )
            )
        money = ["amount_pledged", "currency", "delivered_may_exceed_pledged"]
        if obj is not None:
            money.append("delivered_percent_display")
        fieldsets.append(
            (
                "Money",
                {
                    "fields": money,
                    "description": "Delivered is the sum of the payments below that a source "
                    "confirms; each confirmation is a dated event in the pledge's history.",
                },
            )
        )
        if obj is not None:
            fieldsets.append(("Record", {"fields": ["created_by", "created_at", "updated_at"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "status",
            "deadline_summary",
            "reply_requests_display",
            "delivered_percent_display",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "slug" in form.base_fields:
            # Left empty, Pledge.save() makes one from the company and title.
            form.base_fields["slug"].required = False
            form.base_fields[
                "slug"
            ].help_text = "Part of the public address. Made for you if empty."
        if "success_criteria" in form.base_fields:
            form.base_fields["success_criteria"].widget.attrs.update(
                {"rows": 4, "class": "vLargeTextField tracker-criteria"}
            )
        return form

    @admin.display(description="deadline")
    def deadline_summary(self, pledge):
        moves = pledge.events.filter(kind=PledgeEvent.Kind.DEADLINE_CHANGED).count()
        if not moves:
            return deadline_badge(pledge)
        return format_html("{} (moved {} time{})", deadline_badge(pledge), moves, pluralize(moves))

    @admin.display(description="requests")
    def reply_requests_display(self, pledge):
        return requests_summary(pledge)

    @admin.display(description="confirmed delivered")
    def delivered_percent_display(self, pledge):
        if pledge.amount_delivered is None:
            return "nothing confirmed yet"
        return f"{pledge.currency} {pledge.amount_delivered:,} ({percent_delivered(pledge)})"

    def save_formset(self, request, form, formset, change):
        if formset.model is Disbursement:
            save_payments(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)
        if formset.model is Source:
            # New sources (and corrected URLs) are archived as soon as the save commits.
            changed = [source for source, _fields in formset.changed_objects]
            tasks.archive_after_commit(formset.new_objects + changed)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change:
            # Never write back a status, deadline or version read before a concurrent
            # verdict: the change form does not own them (the history "revert" neither).
            current = Pledge.objects.select_for_update().only(*WORKFLOW_FIELDS).get(pk=obj.pk)
            for field in WORKFLOW_FIELDS:
                setattr(obj, field, getattr(current, field))
        else:
            obj.created_by = request.user
            obj.use_company_slug()
        super().save_model(request, obj, form, change)

    def history_view(self, request, object_id, extra_context=None):
        # Sources have their own history; a pledge's page shows theirs too.
        sources = Source.history.filter(pledge_id=object_id) if object_id.isdigit() else []
        extra_context = {
            **(extra_context or {}),
            "source_changes": sources.select_related("history_user").order_by("-history_date")
            if sources
            else [],
        }
        return super().history_view(request, object_id, extra_context)

    # --- Workflow pages ---------------------------------------------------------------

    def get_urls(self):
        def wrap(view):
            def page(request, object_id, **kwargs):
                return view(self, request, object_id, **kwargs)

            return self.admin_site.admin_view(page)

        return [
            path(
                "<path:object_id>/verdict/",
                wrap(record_verdict_view),
                name="commitments_pledge_record_verdict",
            ),
            path(
                "<path:object_id>/deadline/",
                wrap(move_deadline_view),
                name="commitments_pledge_move_deadline",
            ),
            path(
                "<path:object_id>/payments/<int:payment_id>/withdraw/",
                wrap(withdraw_payment_view),
                name="commitments_pledge_withdraw_payment",
            ),
            path(
                "<path:object_id>/ask/",
                wrap(ask_view),
                name="commitments_pledge_ask_for_response",
            ),
            path(
                "import-template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="commitments_pledge_import_template",
            ),
            *super().get_urls(),
        ]

    # --- Import / export ----------------------------------------------------------------

    import_form_class = PledgeImportForm
    confirm_form_class = PledgeConfirmImportForm

    def get_import_resource_classes(self, request):
        return [PledgeImportResource]

    def get_import_resource_kwargs(self, request, **kwargs):
        cleaned = getattr(kwargs.get("form"), "cleaned_data", {})
        create = bool(cleaned.get("create_missing_companies"))
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "create_missing_companies": create,
        }

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        cleaned = getattr(import_form, "cleaned_data", {})
        initial["create_missing_companies"] = cleaned.get("create_missing_companies", False)
        return initial

    def get_import_context_data(self, **kwargs):
        return {**super().get_import_context_data(**kwargs), "import_columns": IMPORT_FIELDS}

    def import_template_view(self, request):
        """A CSV with the accepted columns and one example row, to fill in and upload."""
        if not self.has_import_permission(request):
            raise PermissionDenied("Importing pledges needs the Editor or Reviewer role.")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="pledges-import-template.csv"'
        writer = csv.writer(response)
        writer.writerow(IMPORT_FIELDS)
        writer.writerow([IMPORT_EXAMPLE.get(field, "") for field in IMPORT_FIELDS])
        return response

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        # Only the posted selection, among pledges this user may see (not the whole table).
        posted = [pk for pk in request.POST.getlist("export_items") if pk.isdigit()]
        return self.get_queryset(request).filter(pk__in=posted).values_list("pk", flat=True)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Rows that passed the preview can fail at commit (e.g. a colleague logged
            # the same pledge meanwhile); the transaction was rolled back.
            messages.error(
                request,
                "Nothing was imported: the file no longer passes the checks. "
                "Upload it again to see which rows need fixing.",
            )
            return HttpResponseRedirect(reverse("admin:commitments_pledge_import"))
        return super().process_result(result, request)

    def get_import_data_kwargs(self, **kwargs):
        # All or nothing: one invalid row rolls the whole file back.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    # --- Bulk actions: one save per pledge, so each gets its history record -------------

    @admin.action(description="Publish selected pledges", permissions=["change"])
    def publish_selected(self, request, queryset):
        changed = self._save_each(request, queryset, "Published (bulk)", is_published=True)
        self.message_user(request, f"Published {changed} pledge{pluralize(changed)}.")

    @admin.action(description="Unpublish selected pledges", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        changed = self._save_each(request, queryset, "Unpublished (bulk)", is_published=False)
        self.message_user(request, f"Unpublished {changed} pledge{pluralize(changed)}.")

    @admin.action(description="Assign an owner to selected pledges", permissions=["change"])
    def assign_owner(self, request, queryset):
        form = AssignOwnerForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            owner = form.cleaned_data["owner"]
            changed = self._save_each(
                request, queryset, f"Owner set to {owner} (bulk)", owner=owner
            )
            self.message_user(
                request, f"{owner} now owns {changed} more pledge{pluralize(changed)}."
            )
            return None
        if form.is_bound:
            self.message_user(request, "Choose a staff member.", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign an owner",
            "opts": self.opts,
            "form": form,
            "pledges": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/commitments/pledge/assign_owner.html", context)

    @staticmethod
    @transaction.atomic
    def _save_each(request, queryset, reason, **values):
        """Set ``values`` on each pledge that differs, through save(); returns how many."""
        pks = list(queryset.values_list("pk", flat=True))
        changed = 0
        for pledge in Pledge.objects.select_for_update().filter(pk__in=pks).order_by("pk"):
            if all(getattr(pledge, name) == value for name, value in values.items()):
                continue
            for name, value in values.items():
                setattr(pledge, name, value)
            pledge._change_reason = reason
            pledge._history_user = request.user
            pledge.save()
            changed += 1
        return changed
