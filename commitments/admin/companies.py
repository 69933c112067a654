from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from commitments.models import Company


@admin.register(Company)
class CompanyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "website"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
