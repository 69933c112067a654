from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import Pledge, Source


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0


@admin.register(Pledge)
class PledgeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "company", "deadline", "status", "owner", "is_published"]
    list_filter = ["status", "category", "is_published"]
    list_select_related = ["company", "owner"]
    search_fields = ["title", "company__name", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["company"]
    inlines = [SourceInline]
