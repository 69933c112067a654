from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic job finished, for /health to judge whether it still runs.

    One row per job, overwritten each time: durable across restarts (unlike a cache)
    and one indexed lookup to read.
    """

    SWEEP = "sweep_deadlines"
    EXPORTS = "build_exports"

    name = models.CharField(max_length=50, unique=True)
    completed_at = models.DateTimeField()
    summary = models.JSONField(default=dict, blank=True, help_text="What the last run did.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} at {self.completed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(cls, name, completed_at, summary=None):
        values = {"completed_at": completed_at, "summary": summary or {}}
        if not cls.objects.filter(name=name).update(**values):
            cls.objects.update_or_create(name=name, defaults=values)

    @classmethod
    def last(cls, name):
        return cls.objects.filter(name=name).values_list("completed_at", flat=True).first()
