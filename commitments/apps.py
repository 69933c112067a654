from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Subscriber alerts: the ALERT/CONFIRM email builders, tasks and the on-commit trigger.
        from commitments.alerts import emails, signals, tasks  # noqa: F401
