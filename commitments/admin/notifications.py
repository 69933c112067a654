from django.contrib import admin

from commitments.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts"]
    list_filter = ["status", "kind"]
