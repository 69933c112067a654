from django.contrib import admin

from commitments.admin.display import URL_FORMFIELDS
from commitments.admin.history import HistoryAdmin
from commitments.models import PledgeEvent, Source


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    formfield_overrides = URL_FORMFIELDS
    list_display = ["title", "publisher", "pledge", "published_on"]
    list_select_related = ["pledge__company"]
    search_fields = ["title", "publisher", "url"]
    autocomplete_fields = ["pledge"]


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
