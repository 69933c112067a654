from django.contrib import admin
from django.db.models import Count

from commitments.admin.display import URL_FORMFIELDS, admin_link, deadline_badge
from commitments.admin.history import HistoryAdmin
from commitments.models import Company, CompanyContact, Pledge


class CompanyContactInline(admin.TabularInline):
    model = CompanyContact
    extra = 0
    fields = ["name", "role", "email", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    verbose_name_plural = "contacts for requests for comment (never shown publicly)"


def save_contacts(request, formset):
    """Stamp who added each new contact."""
    for contact in formset.save(commit=False):
        if contact.pk is None:
            contact.added_by = request.user
        contact.save()
    for contact in formset.deleted_objects:
        contact.delete()


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
    inlines = [CompanyContactInline, PledgeSummaryInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is CompanyContact:
            save_contacts(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(pledge_total=Count("pledges"))

    @admin.display(description="pledges", ordering="pledge_total")
    def pledge_count(self, company):
        return company.pledge_total
