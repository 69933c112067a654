from django.contrib import admin
from django.db.models import Count

from commitments.admin.display import URL_FORMFIELDS, admin_link, deadline_badge
from commitments.admin.history import HistoryAdmin
from commitments.models import Company, Pledge


class PledgeSummaryInline(admin.TabularInline):
    """The company's pledges at a glance; each is edited on its own page."""

    model = Pledge
    fields = ["pledge_link", "status", "deadline_column", "is_published"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "pledges"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="pledge")
    def pledge_link(self, pledge):
        return admin_link(pledge, pledge.title)

    @admin.display(description="deadline")
    def deadline_column(self, pledge):
        return deadline_badge(pledge)


@admin.register(Company)
class CompanyAdmin(HistoryAdmin):
    formfield_overrides = URL_FORMFIELDS
    list_display = ["name", "website", "pledge_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PledgeSummaryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pledge_total=Count("pledges"))

    @admin.display(description="pledges", ordering="pledge_total")
    def pledge_count(self, company):
        return company.pledge_total
