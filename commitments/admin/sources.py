from django.contrib import admin, messages
from django.template.defaultfilters import pluralize
from django.utils.html import format_html

from commitments.admin.display import URL_FORMFIELDS
from commitments.admin.filters import ArchiveFilter, LinkStatusFilter
from commitments.admin.history import HistoryAdmin
from commitments.domain import archiving, tasks
from commitments.models import PledgeEvent, Source
from commitments.templatetags.tracker_admin import tracker_time

CHECK_FIELDS = [
    "last_checked_at",
    "last_status",
    "last_error",
    "last_ok_at",
    "first_failed_at",
    "broken_since",
    "final_url",
    "next_check_at",
    "archive_check",
]
ARCHIVE_FIELDS = [
    "archived_at",
    "archive_due_at",
    "archive_attempts",
    "archive_error",
    "archive_job",
]


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    formfield_overrides = URL_FORMFIELDS
    list_display = ["title", "publisher", "pledge", "published_on", "link_status", "archive"]
    list_filter = [LinkStatusFilter, ArchiveFilter]
    list_select_related = ["pledge__company"]
    search_fields = ["title", "publisher", "url"]
    autocomplete_fields = ["pledge"]
    # Written by the link checker and the archiver; shown so staff see why a link is broken.
    readonly_fields = CHECK_FIELDS + ARCHIVE_FIELDS
    fieldsets = [
        (None, {"fields": ["pledge", "url", "title", "publisher", "published_on", "archive_url"]}),
        ("Link check", {"fields": CHECK_FIELDS, "classes": ["collapse"]}),
        ("Archiving", {"fields": ARCHIVE_FIELDS, "classes": ["collapse"]}),
    ]

    actions = ["archive_now"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tasks.archive_after_commit([obj])

    @admin.action(description="Archive now (a new snapshot; typed archive URLs are kept)")
    def archive_now(self, request, queryset):
        if not archiving.enabled():
            self.message_user(
                request,
                "Archiving is switched off here (TRACKER_ARCHIVE_URL is empty).",
                messages.WARNING,
            )
            return
        ids = archiving.request_now(queryset)
        tasks.archive_after_commit(Source.objects.filter(pk__in=ids))
        kept = queryset.count() - len(ids)
        text = f"Asked the archive for {len(ids)} snapshot{pluralize(len(ids))}."
        if kept:
            text += f" {kept} with an archived copy typed by staff kept as is."
        self.message_user(request, text, messages.SUCCESS)

    @admin.display(description="link")
    def link_status(self, source):
        if source.broken_since is not None:
            return format_html(
                '<span class="tracker-badge overdue">broken</span> since {}',
                tracker_time(source.broken_since),
            )
        if source.first_failed_at is not None:
            reason = source.last_error or f"HTTP {source.last_status}"
            return format_html('<span class="tracker-badge soon">failing</span> {}', reason)
        if source.last_checked_at is None:
            return "not checked yet"
        if source.last_status == 429:
            # The site asked us to wait: this check says nothing either way.
            if source.last_ok_at:
                seen = format_html("Last seen working {}.", tracker_time(source.last_ok_at))
            else:
                seen = "Not seen working yet."
            return format_html(
                '<span class="tracker-badge">not known</span> {} {}', source.last_error, seen
            )
        return "working"

    @admin.display(description="archived copy")
    def archive(self, source):
        if source.archive_url:
            return format_html('<a href="{}" rel="noopener">archived</a>', source.archive_url)
        if source.archive_error:
            waiting = "retrying" if source.archive_due_at else "failed"
            return format_html("{}: {}", waiting, source.archive_error)
        if source.archive_due_at is None:
            return "—"
        return "waiting" if archiving.enabled() else "waiting (archiving is off)"


@admin.register(PledgeEvent)
class PledgeEventAdmin(admin.ModelAdmin):
    """Events are written by commitments.domain.workflow and the sweep, never edited by hand.

    Deleting stays possible for superusers, or a pledge (which cascades) could never go.
    """

    list_display = ["occurred_on", "kind", "pledge", "recorded_by", "withdrawn_at"]
    list_filter = ["kind", ("withdrawn_at", admin.EmptyFieldListFilter)]
    # Written by the workflow, not in the form: shown so staff can audit a correction.
    readonly_fields = ["withdrawn_at", "withdrawn_by", "withdrawn_reason", "alerts_queued_at"]
    list_select_related = ["pledge__company", "recorded_by"]
    search_fields = ["pledge__title", "pledge__company__name", "rationale"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
