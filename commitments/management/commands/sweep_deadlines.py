from django.core.management.base import BaseCommand

from commitments.domain import reminders


class Command(BaseCommand):
    help = (
        "Run the deadline sweep now, exactly as beat does: write due reminders and "
        "'deadline passed' events, queue their emails for the worker, re-queue stuck ones."
    )

    def handle(self, *args, **options):
        report = reminders.sweep_deadlines()
        for line in report.lines():
            self.stdout.write(line)
