from django.contrib import admin, messages

from commitments.admin.mixins import ReadOnlyAdminMixin
from commitments.mail import delivery
from commitments.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What was sent to whom, and what failed. Read-only: rows are written by the sweep."""

    list_display = [
        "created_at",
        "kind",
        "pledge",
        "occurrence",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["pledge__company"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    fields = [
        "pledge",
        "event",
        "kind",
        "occurrence",
        "recipient",
        "user",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "queued_at",
        "claimed_at",
        "retry_after",
        "failing_since",
        "sent_at",
        "digest",
    ]

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Retry selected failed notifications", permissions=["view"])
    def retry_failed(self, request, queryset):
        count = delivery.retry_failed(queryset)
        if count:
            self.message_user(request, f"{count} notification(s) queued to be sent again.")
        else:
            self.message_user(
                request, "None of the selected notifications had failed.", messages.WARNING
            )
