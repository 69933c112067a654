from django.core.management.base import BaseCommand
from django.db import transaction

from commitments import demo
from commitments.models import Company, Pledge, Source


class Command(BaseCommand):
    help = "Load the June 2020 facial-recognition and racial-justice pledges. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        companies = {}
        for data in demo.COMPANIES:
            company, was_created = Company.objects.get_or_create(
                slug=data["slug"], defaults={k: v for k, v in data.items() if k != "slug"}
            )
            companies[company.slug] = company
            created += was_created
        for data in demo.PLEDGES:
            fields = {k: v for k, v in data.items() if k not in {"slug", "company", "sources"}}
            pledge, was_created = Pledge.objects.get_or_create(
                slug=data["slug"],
                defaults={**fields, "company": companies[data["company"]], "is_published": True},
            )
            created += was_created
            for source in data["sources"]:
                _, was_created = Source.objects.get_or_create(
                    pledge=pledge,
                    url=source["url"],
                    defaults={k: v for k, v in source.items() if k != "url"},
                )
                created += was_created
        self.stdout.write(
            f"Demo data: {created} new records ({Pledge.objects.count()} pledges in all)."
        )
