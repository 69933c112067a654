"""Changelist filters in the reviewers' vocabulary, backed by PledgeQuerySet methods."""

from django.contrib import admin


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
