"""Many published pledges quickly: bulk inserts, so query-count tests can compare sizes."""

import datetime as dt
import itertools

from commitments.models import Company, Pledge, PledgeEvent, Source

STATUSES = list(Pledge.Status.values)
CATEGORIES = list(Pledge.Category.values)


def populate(n_pledges, *, companies=None):
    """``n_pledges`` published pledges (plus one draft per company) with events and sources.

    Every pledge has an "announced" event, a verdict, a moved deadline and a source
    cited by the verdict, so each page exercises every relation it renders.
    """
    n_companies = companies or max(1, n_pledges // 5)
    c0, p0 = Company.objects.count(), Pledge.objects.count()  # callable more than once
    firms = Company.objects.bulk_create(
        Company(name=f"Firm {i:05d}", slug=f"firm-{i:05d}") for i in range(c0, c0 + n_companies)
    )
    cycle = itertools.cycle(firms)
    pledges = []
    for i in range(p0, p0 + n_pledges + n_companies):
        draft = i >= p0 + n_pledges
        announced = dt.date(2018, 1, 1) + dt.timedelta(days=(i * 7) % 2500)
        pledges.append(
            Pledge(
                company=next(cycle),
                title=f"{'Secret draft' if draft else 'Bulk pledge'} {i}",
                slug=f"bulk-{i}",
                summary="Bulk summary.",
                success_criteria="Bulk criteria.",
                category=CATEGORIES[i % len(CATEGORIES)],
                status=STATUSES[i % len(STATUSES)],
                announced_on=announced,
                deadline=announced + dt.timedelta(days=100 + (i * 13) % 1500),
                amount_pledged=1000 if i % 3 == 0 else None,
                currency="USD" if i % 3 == 0 else "",
                is_published=not draft,
            )
        )
    pledges = Pledge.objects.bulk_create(pledges)
    sources = Source.objects.bulk_create(
        Source(pledge=p, url=f"https://news.example.com/{p.slug}", title=f"Story on {p.slug}")
        for p in pledges
    )
    events = []
    for p in pledges:
        events += [
            PledgeEvent(pledge=p, kind="announced", occurred_on=p.announced_on),
            PledgeEvent(
                pledge=p,
                kind="deadline_changed",
                occurred_on=p.announced_on + dt.timedelta(days=30),
                old_deadline=p.deadline - dt.timedelta(days=60),
                new_deadline=p.deadline,
                rationale="Postponed.",
            ),
            PledgeEvent(
                pledge=p,
                kind="status_changed",
                occurred_on=p.announced_on + dt.timedelta(days=60),
                old_status="not_yet_rated",
                new_status=p.status,
                rationale="Reviewed.",
            ),
        ]
    events = PledgeEvent.objects.bulk_create(events)
    through = PledgeEvent.sources.through
    through.objects.bulk_create(
        through(pledgeevent=event, source=source)
        for event, source in zip(events[2::3], sources, strict=True)
    )
    return firms, pledges
