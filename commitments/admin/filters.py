"""Changelist filters in the reviewers' vocabulary, backed by PledgeQuerySet methods."""

from django.contrib import admin
from django.db.models import Exists, OuterRef


class _YesNoFilter(admin.SimpleListFilter):
    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() not in {"yes", "no"}:
            return queryset
        matching = self.matching(queryset)
        if self.value() == "yes":
            return matching
        return queryset.exclude(pk__in=matching.values("pk"))


class HasDeadlineFilter(_YesNoFilter):
    title = "has deadline"
    parameter_name = "has_deadline"

    def matching(self, queryset):
        return queryset.with_deadline()


class OverdueFilter(_YesNoFilter):
    title = "overdue"
    parameter_name = "overdue"

    def matching(self, queryset):
        return queryset.overdue()


class AwaitingVerdictFilter(_YesNoFilter):
    title = "awaiting verdict"
    parameter_name = "awaiting_verdict"

    def matching(self, queryset):
        # awaiting_verdict() orders by deadline; the changelist keeps its own ordering.
        return queryset.awaiting_verdict().order_by()


class CompanyFilter(admin.SimpleListFilter):
    """By company, as a list while the list is short.

    With thousands of companies the sidebar of every company with a pledge weighed
    megabytes and took seconds to render on each changelist view; past ``LIMIT`` the
    list is left out and staff use the search box (it matches company names). Links
    with ``?company__id__exact=`` keep working either way.
    """

    title = "company"
    parameter_name = "company__id__exact"
    LIMIT = 100

    def lookups(self, request, model_admin):
        from commitments.models import Company, Pledge

        with_pledges = Pledge.objects.filter(company=OuterRef("pk"))
        rows = list(
            Company.objects.filter(Exists(with_pledges))
            .order_by("name")
            .values_list("pk", "name")[: self.LIMIT + 1]
        )
        return [(str(pk), name) for pk, name in rows] if len(rows) <= self.LIMIT else []

    def has_output(self):
        return bool(self.lookup_choices)

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(company_id=int(value))
        return queryset


class LinkStatusFilter(admin.SimpleListFilter):
    """What the link checker last found: broken (failing for more than
    TRACKER_SOURCE_BROKEN_DAYS), failing (not broken yet), working, not checked yet."""

    title = "link status"
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return [
            ("broken", "Broken sources"),
            ("failing", "Failing, not broken yet"),
            ("ok", "Working"),
            ("unchecked", "Not checked yet"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "broken":
            return queryset.broken()
        if value == "failing":
            return queryset.failing().filter(broken_since__isnull=True)
        if value == "ok":
            return queryset.filter(first_failed_at__isnull=True, last_checked_at__isnull=False)
        if value == "unchecked":
            return queryset.filter(last_checked_at__isnull=True)
        return queryset


class ArchiveFilter(admin.SimpleListFilter):
    title = "archived copy"
    parameter_name = "archive"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Has an archived copy"),
            ("waiting", "Waiting for the archive"),
            ("failed", "Archiving failed"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.exclude(archive_url="")
        if value == "waiting":
            return queryset.filter(archive_url="", archive_due_at__isnull=False)
        if value == "failed":
            return queryset.filter(archive_url="", archive_due_at__isnull=True).exclude(
                archive_error=""
            )
        return queryset


class OwnerFilter(admin.RelatedFieldListFilter):
    """Owners to filter by: staff accounts (a few), not "users who own a pledge", which
    Django's RelatedOnlyFieldListFilter finds by reading the owner of every pledge."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(include_blank=False, limit_choices_to={"is_staff": True})
