from django.conf import settings
from django.db import models


class ReminderPreference(models.Model):
    """How one staff member wants their deadline reminders: at once, or in a daily digest.

    No row means ``AUTOMATIC``. The rules that apply it live in
    ``commitments.domain.digests``.
    """

    class Mode(models.TextChoices):
        AUTOMATIC = "auto", "Automatic: at once, and a daily digest on busy days"
        IMMEDIATE = "immediate", "Every reminder at once"
        DIGEST = "digest", "One daily digest"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.AUTOMATIC)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.get_mode_display()}"
