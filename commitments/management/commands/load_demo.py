from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from commitments.domain import demo, workflow
from commitments.models import Company, Disbursement, Pledge, PledgeEvent, Source, search

STORY_FIELDS = ("slug", "company", "sources", "deadline_move", "recipients", "payments")


class Command(BaseCommand):
    help = (
        "Load the June 2020 facial-recognition and racial-justice pledges as known today. "
        "Safe to run again; brings an older demo database up to date."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        self.changes = 0
        companies = {data["slug"]: self._company(data) for data in demo.COMPANIES}
        for data in demo.PLEDGES:
            self._pledge(data, companies[data["company"]])
        # Misspellings of the demo's words are corrected from the first visit, not the first beat.
        search.refresh_vocabulary()
        self.stdout.write(
            f"Demo data: {self.changes} change(s) ({Pledge.objects.count()} pledges in all)."
        )

    def _company(self, data):
        company, created = Company.objects.get_or_create(
            slug=data["slug"], defaults={k: v for k, v in data.items() if k != "slug"}
        )
        self.changes += created
        return company

    def _pledge(self, data, company):
        fields = {k: v for k, v in data.items() if k not in STORY_FIELDS}
        move = data.get("deadline_move")
        pledge = Pledge.objects.filter(slug=data["slug"]).first()
        if pledge is None:
            pledge = Pledge.objects.create(
                slug=data["slug"], company=company, is_published=True, **fields
            )
            self.changes += 1
        else:
            # An older demo: refresh what we now know, but never rewind the story — a moved
            # deadline is moved by the workflow below, not by overwriting the field.
            if move is not None:
                fields.pop("deadline")
            stale = {k: v for k, v in fields.items() if getattr(pledge, k) != v}
            if stale:
                for name, value in stale.items():
                    setattr(pledge, name, value)
                pledge.save()
                self.changes += 1
        sources = {item["url"]: self._source(pledge, item) for item in data["sources"]}
        if move is not None:
            self._move_deadline(pledge, move, sources[move["source"]])
        if "recipients" in data:
            self._payments(pledge, data, sources)

    def _source(self, pledge, data):
        source, created = Source.objects.get_or_create(
            pledge=pledge, url=data["url"], defaults={k: v for k, v in data.items() if k != "url"}
        )
        self.changes += created
        return source

    def _move_deadline(self, pledge, move, source):
        already = pledge.events.deadline_moves().filter(new_deadline=move["new_deadline"])
        if already.exists() or pledge.deadline == move["new_deadline"]:
            return  # recorded already, by this command or by staff
        # Backdated: a "deadline passed" an older demo's sweep wrote is withdrawn as a correction.
        event = workflow.move_deadline(
            pledge,
            new_deadline=move["new_deadline"],
            rationale=move["rationale"],
            source=source,
            effective_on=move["effective_on"],
            actor=None,
        )
        # Loading history is not news: claim the event's alerts so no follower is mailed.
        PledgeEvent.objects.filter(pk=event.pk).update(alerts_queued_at=timezone.now())
        self.changes += 1

    def _payments(self, pledge, data, sources):
        """The recipients as announced payments, then the ones a source confirms.

        An older demo told the confirmed money as a note and a single "delivered" figure
        (a payment without recipient since migration 0015): both give way to the payments.
        """
        old_note = pledge.events.filter(
            kind=PledgeEvent.Kind.NOTE, rationale=demo.OLD_DONATION_NOTE
        )
        legacy = pledge.disbursements.filter(recipient="", events__isnull=True)
        if old_note.exists() or legacy.exists():
            old_note.delete()
            legacy.delete()
            self.changes += 1
        for recipient in data["recipients"]:
            if not pledge.disbursements.filter(recipient=recipient).exists():
                Disbursement.objects.create(
                    pledge=pledge, recipient=recipient, currency=pledge.currency
                )
                self.changes += 1
        for payment in data["payments"]:
            row = pledge.disbursements.filter(recipient=payment["recipient"]).first()
            if row is not None and (row.is_confirmed or row.is_withdrawn):
                continue  # recorded already, by this command or by staff (or withdrawn by them)
            confirmed = workflow.record_disbursement(
                pledge,
                recipient=payment["recipient"],
                amount=payment["amount"],
                currency=pledge.currency,
                paid_on=payment["paid_on"],
                source=sources[payment["source"]],
                disbursement=row,
                actor=None,
            )
            # Loading history is not news (as for the deadline move above).
            confirmed.events.update(alerts_queued_at=timezone.now())
            self.changes += 1
