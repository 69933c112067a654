from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import PledgeEvent, Source


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "pledge", "published_on"]
    list_select_related = ["pledge__company"]
    search_fields = ["title", "publisher", "url"]


@admin.register(PledgeEvent)
class PledgeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_on", "kind", "pledge", "recorded_by"]
    list_filter = ["kind"]
    list_select_related = ["pledge__company", "recorded_by"]
