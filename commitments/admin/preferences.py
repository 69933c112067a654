"""Each staff member's own settings: how deadline reminders reach them (daily digests)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render

from commitments.domain import calendar
from commitments.models import ReminderPreference


class ReminderPreferenceForm(forms.ModelForm):
    class Meta:
        model = ReminderPreference
        fields = ["mode"]
        widgets = {"mode": forms.RadioSelect}
        labels = {"mode": "Deadline reminders"}


def digest_terms():
    """The rules in words, with this installation's numbers."""
    return {
        "threshold": settings.TRACKER_DIGEST_THRESHOLD,
        "hour": f"{settings.TRACKER_DIGEST_HOUR:02d}:00",
        "zone": calendar.tracker_zone().key,
    }


def reminder_emails_view(request):
    preference = ReminderPreference.objects.filter(user=request.user).first()
    preference = preference or ReminderPreference(user=request.user)
    form = ReminderPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved: {preference.get_mode_display()}.")
        return redirect("admin:reminder_emails")
    context = {
        **admin.site.each_context(request),
        **digest_terms(),
        "form": form,
        "title": "Your reminder emails",
    }
    return render(request, "admin/accounts/reminder_emails.html", context)


class ReminderPreferenceInline(admin.StackedInline):
    """On a user's page, for whoever may change users: set it for a colleague."""

    model = ReminderPreference
    form = ReminderPreferenceForm
    can_delete = False
    verbose_name = verbose_name_plural = "Reminder emails"
