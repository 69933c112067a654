"""Subscribers, suppressions and followers per pledge, for staff.

Deliberately no import/export mixins and no export action: subscribers consented
to alerts, not to their addresses leaving this system.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from commitments.admin.mixins import PledgeSearchMixin, ReadOnlyAdminMixin
from commitments.models import (
    Notification,
    PledgeFollowers,
    Subscriber,
    Subscription,
    Suppression,
)
from commitments.models.subscribers import address_hash


def _count(queryset, outer_field):
    """A correlated COUNT, so several counts on one row do not multiply each other."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = readonly_fields = [
        "scope",
        "pledge",
        "company",
        "on_verdict",
        "on_deadline_passed",
        "on_deadline_moved",
        "on_upcoming",
        "requested_at",
        "confirmed_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "following",
        "awaiting_confirmation",
        "failed_deliveries",
        "created_at",
    ]
    search_fields = ["email"]
    fields = readonly_fields = ["email", "created_at"]
    inlines = [SubscriptionInline]
    actions = ["suppress"]

    def get_queryset(self, request):
        subscriptions = Subscription.objects.all()
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_following=_count(subscriptions.confirmed(), "subscriber"),
                n_pending=_count(subscriptions.filter(confirmed_at__isnull=True), "subscriber"),
                n_failed=_count(
                    Notification.objects.filter(status=Notification.Status.FAILED), "subscriber"
                ),
            )
        )

    @admin.display(ordering="n_following", description="following")
    def following(self, obj):
        return obj.n_following

    @admin.display(ordering="n_pending", description="awaiting confirmation")
    def awaiting_confirmation(self, obj):
        return obj.n_pending

    @admin.display(ordering="n_failed", description="failed deliveries")
    def failed_deliveries(self, obj):
        return obj.n_failed

    def has_add_permission(self, request):
        return False  # only the reader can subscribe, through the double opt-in

    @admin.action(description="Suppress: never email these addresses again", permissions=["change"])
    def suppress(self, request, queryset):
        for subscriber in queryset:
            Suppression.suppress(subscriber.email, Suppression.Reason.STAFF)
        self.message_user(
            request, f"Suppressed {queryset.count()} address(es).", level=messages.SUCCESS
        )


class SuppressionForm(forms.ModelForm):
    email = forms.EmailField(help_text="Stored only as a keyed hash; it cannot be read back.")

    class Meta:
        model = Suppression
        fields = ["email", "reason"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        if Suppression.objects.filter(address_hash=address_hash(email)).exists():
            raise forms.ValidationError("This address is already suppressed.")
        return email

    def save(self, commit=True):
        self.instance.address_hash = address_hash(self.cleaned_data["email"])
        return super().save(commit)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    form = SuppressionForm
    list_display = ["created_at", "reason", "short_hash"]
    list_filter = ["reason"]

    def get_changeform_initial_data(self, request):
        return {"reason": Suppression.Reason.STAFF}

    @admin.display(description="address fingerprint")
    def short_hash(self, obj):
        return obj.address_hash[:12]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PledgeFollowers)
class PledgeFollowersAdmin(PledgeSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "company", "followers", "alerts_sent", "alerts_failed"]
    list_select_related = ["company"]

    def get_queryset(self, request):
        alerts = Notification.objects.filter(kind=Notification.Kind.ALERT)
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_followers=_count(
                    Subscription.objects.confirmed().filter(scope="pledge"), "pledge"
                ),
                n_sent=_count(alerts.filter(status=Notification.Status.SENT), "pledge"),
                n_failed=_count(alerts.filter(status=Notification.Status.FAILED), "pledge"),
            )
        )

    @admin.display(ordering="n_followers", description="followers of this pledge")
    def followers(self, obj):
        return obj.n_followers

    @admin.display(ordering="n_sent", description="alerts sent")
    def alerts_sent(self, obj):
        return obj.n_sent

    @admin.display(ordering="n_failed", description="alerts failed")
    def alerts_failed(self, obj):
        return obj.n_failed
