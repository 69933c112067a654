from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import Company, Notification, Pledge, PledgeEvent, Source


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0


@admin.register(Company)
class CompanyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Pledge)
class PledgeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "company", "deadline", "status", "owner", "is_published"]
    list_filter = ["status", "category", "is_published"]
    list_select_related = ["company", "owner"]
    search_fields = ["title", "company__name", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["company"]
    inlines = [SourceInline]


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts"]
    list_filter = ["status", "kind"]
