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
