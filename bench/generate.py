"""Synthetic data at the issue's sizes, written fast: COPY on PostgreSQL, executemany on SQLite.

Rows are built as dicts keyed by column name and laid onto the model's concrete
columns, so a column another branch adds with a default (or NULL) needs no change
here; a required column without one stops the run with its name.

Two data sets:
- ``published``: the site as users see it (companies, pledges with sources, events,
  event-source links). No pledge in it is due for the sweep: overdue pledges carry a
  future ``next_reminder_at`` as if the sweep had just visited them.
- ``sweep``: filler pledges that bring the table to the sweep's size, ~``due`` of them
  due now, the rest NULL or future.
"""

import datetime as dt
import operator
import random
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from bench.progress import Bar
from commitments.domain import calendar
from commitments.models import (
    Company,
    Disbursement,
    Pledge,
    PledgeEvent,
    Source,
    Subscriber,
    Subscription,
)
from commitments.models.subscribers import address_hash, normalise_address

SIZES = {
    "companies": 20_000,
    "pledges": 100_000,
    "sweep_pledges": 1_000_000,
    "due": 1_000,
    "subscribers": 10_000,
}

CHUNK = 5_000  # rows per executemany on SQLite, and per progress-bar step

PREFIXES = [
    "North",
    "South",
    "East",
    "West",
    "Pacific",
    "Atlantic",
    "Summit",
    "Pioneer",
    "Granite",
    "Silver",
    "Blue",
    "Green",
    "Red",
    "Harbor",
    "Union",
    "Liberty",
    "Keystone",
    "Apex",
    "Meridian",
    "Cedar",
]
ROOTS = [
    "Logistics",
    "Retail",
    "Energy",
    "Foods",
    "Motors",
    "Pharma",
    "Bank",
    "Insurance",
    "Media",
    "Telecom",
    "Airlines",
    "Chemicals",
    "Steel",
    "Software",
    "Hotels",
    "Apparel",
    "Beverages",
    "Mining",
    "Semiconductors",
    "Foods",
]
SUFFIXES = ["Inc.", "Corp.", "Group", "Holdings", "plc", "AG", "& Co."]
VERBS = [
    "Reach net-zero emissions across",
    "Halve water use in",
    "Stop selling facial recognition to police through",
    "Donate $10 million to racial-justice groups via",
    "Double Black representation in leadership at",
    "Pay a living wage to all workers in",
    "Exit coal financing through",
    "Publish a supplier audit for",
    "Switch to 100% renewable electricity in",
    "End deforestation in the supply chain of",
    "Phase out single-use plastic from",
    "Raise the minimum wage to $15 across",
]
OBJECTS = [
    "its US operations",
    "all stores",
    "the cloud division",
    "European factories",
    "its delivery fleet",
    "the retail network",
    "global offices",
    "the packaging line",
    "its data centres",
    "the investment arm",
]
PUBLISHERS = [
    ("Reuters", "reuters.example"),
    ("Associated Press", "apnews.example"),
    ("The Guardian", "theguardian.example"),
    ("Company press release", "press.example"),
    ("Financial Times", "ft.example"),
]
SUMMARY = (
    "The company said it would **{verb_lower}** {obj}, in a statement published with its "
    "annual report. Campaigners welcomed the announcement but asked for a dated plan and "
    "independent verification.\n\nThe pledge covers subsidiaries and, where stated, suppliers."
)
C = Pledge.Category
CATEGORY_WEIGHTS = [C.POLICY_CHANGE] * 4 + [C.DONATION] * 2 + [C.HIRING] * 2
CATEGORY_WEIGHTS = [str(c.value) for c in [*CATEGORY_WEIGHTS, C.EXIT, C.MORATORIUM, C.OTHER]]


class S:
    """Status values as plain strings: COPY adapts ``str``, not Django's enum members."""

    NOT_YET_RATED, IN_PROGRESS, STALLED = "not_yet_rated", "in_progress", "stalled"
    KEPT, PARTIALLY_KEPT, BROKEN = "kept", "partially_kept", "broken"


class K:
    ANNOUNCED, DEADLINE_CHANGED, STATUS_CHANGED = "announced", "deadline_changed", "status_changed"
    DEADLINE_PASSED, NOTE = "deadline_passed", "note"


STATUS_NO_DEADLINE = [S.NOT_YET_RATED] * 4 + [S.IN_PROGRESS] * 4 + [S.KEPT, S.BROKEN]
STATUS_PAST = [S.KEPT] * 6 + [S.PARTIALLY_KEPT] * 4 + [S.BROKEN] * 5 + [S.NOT_YET_RATED] * 3
STATUS_PAST += [S.IN_PROGRESS, S.STALLED]
STATUS_FUTURE = [S.NOT_YET_RATED] * 11 + [S.IN_PROGRESS] * 7 + [S.STALLED] * 2
FINAL = {S.KEPT, S.PARTIALLY_KEPT, S.BROKEN}


def scaled(scale):
    return {name: max(1, round(n * scale)) for name, n in SIZES.items()}


class Writer:
    """Appends rows to one model's table by the fastest path the database offers."""

    def __init__(self):
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                # 256 MB of page cache: index inserts into a million-row table stay in memory.
                cursor.execute("PRAGMA cache_size = -262144")

    def write(self, model, rows, total, label):
        columns, fill = _columns(model)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        bar = Bar(label, total)
        pick = operator.itemgetter(*columns)  # the row laid onto the columns, in C
        tuples = (pick(fill | row) for row in _checked(model, rows, fill))
        # One transaction: in autocommit SQLite would sync the file after every row.
        with transaction.atomic(), connection.cursor() as cursor:
            indexes = _drop_secondary_indexes(cursor, model._meta.db_table)
            if self.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                n = 0
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for n, row in enumerate(tuples, 1):
                        copy.write_row(row)
                        if n % CHUNK == 0:
                            bar.advance(CHUNK)
                bar.advance(n - bar.done)
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
                moments = {
                    f.column
                    for f in model._meta.concrete_fields
                    if f.get_internal_type() == "DateTimeField"
                }
                stamps = [i for i, column in enumerate(columns) if column in moments]
                for batch in _chunks(_sqlite_rows(tuples, stamps), CHUNK):
                    cursor.executemany(sql, batch)
                    bar.advance(len(batch))
            bar.close()
            if indexes:
                if self.vendor == "postgresql":
                    # Django's foreign keys are deferred; check them now, or CREATE INDEX refuses.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                bar = Bar(f"{label} indexes", len(indexes))
                for statement in indexes:
                    cursor.execute(statement)
                    bar.advance()
                bar.close()


def _drop_secondary_indexes(cursor, table):
    """Drop the table's indexes that back no constraint; return the statements that rebuild them.

    Building an index once over a loaded table is several times faster than
    maintaining ten of them row by row. Runs inside the load's transaction, so a
    failed load leaves the schema as it was.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname AND c.conrelid = i.tablename::regclass)",
            [table],
        )
    else:
        # Constraint-backed indexes (sqlite_autoindex_*) have no SQL and are kept.
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _, sql in indexes]


def _chunks(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_rows(tuples, stamps):
    """Django keeps naive UTC text in SQLite; an offset would break string comparisons."""
    cache = {}
    for row in tuples:
        row = list(row)
        for i in stamps:
            value = row[i]
            if value is not None:
                text = cache.get(value)
                if text is None:
                    text = cache[value] = (
                        value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
                    )
                row[i] = text
        yield row


def _columns(model):
    """The columns to write and the value for each column a row builder leaves out."""
    now = timezone.now()
    columns, fill = [], {}
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fill[field.column] = now
        elif field.has_default():
            default = field.get_default()
            # A moment stays a datetime (``_sqlite_rows`` and COPY convert it themselves); the
            # database-prepared form of a ``default=timezone.now`` is already text on SQLite.
            if not isinstance(default, dt.datetime):
                default = field.get_db_prep_save(default, connection)
            fill[field.column] = default
        elif field.null or field.primary_key:
            fill[field.column] = None
        elif field.blank and field.empty_strings_allowed:
            fill[field.column] = ""  # what Model.save() would store for an unset blank text field
        elif getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
            columns.pop()  # the database fills it
        else:
            fill[field.column] = REQUIRED
    return columns, fill


REQUIRED = object()  # a column with no default: every row must carry it


def _checked(model, rows, fill):
    """Rows, after making sure the first one fills every column that has no default."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    if missing := [c for c, v in fill.items() if v is REQUIRED and c not in first]:
        raise RuntimeError(
            f"bench: {model._meta.label} column(s) {', '.join(missing)} are required and have "
            "no default; add them to the row builder in bench/generate.py"
        )
    yield first
    yield from rows


# --- the published site --------------------------------------------------------------


def published(sizes, seed=8):
    """Companies, published pledges, their sources, events and event-source links."""
    rng = random.Random(seed)
    now = timezone.now()
    today = calendar.today()
    first_day = today - dt.timedelta(days=10 * 365)
    span = (today - first_day).days
    writer = Writer()

    n_companies, n_pledges = sizes["companies"], sizes["pledges"]
    writer.write(Company, _companies(n_companies, now), n_companies, "companies")

    titles = [(f"{v} {o}", slugify(f"{v} {o}")[:150], v, o) for v in VERBS for o in OBJECTS]
    # Per pledge, what the sources and events need: (announced_on, deadline, status).
    facts = []
    # Money pledges with a final verdict: pledge id → the amount confirmed delivered.
    delivered = {}

    def pledges():
        for pk in range(1, n_pledges + 1):
            # Squared: a few giants hold hundreds of pledges, most companies a handful.
            company_id = 1 + int(n_companies * rng.random() ** 2)
            announced = first_day + dt.timedelta(days=rng.randrange(span))
            deadline = None
            if rng.random() >= 0.25:
                deadline = announced + dt.timedelta(days=rng.randrange(30, 3650))
            if deadline is None:
                status = rng.choice(STATUS_NO_DEADLINE)
            elif deadline < today:
                status = rng.choice(STATUS_PAST)
            else:
                status = rng.choice(STATUS_FUTURE)
            title, slug, verb, obj = rng.choice(titles)
            category = rng.choice(CATEGORY_WEIGHTS)
            facts.append((announced, deadline, status))
            row = {
                "id": pk,
                "company_id": company_id,
                "title": title,
                "slug": f"{slug}-{pk}",
                "summary": SUMMARY.format(verb_lower=verb.lower(), obj=obj),
                "success_criteria": f"An independent audit confirms the company did {verb.lower()} {obj}.",
                "category": category,
                "announced_on": announced,
                "deadline": deadline,
                "status": status,
                "is_published": True,
                "version": 1,
                "next_reminder_at": _next_reminder(rng, deadline, status, today, now),
                "created_at": now,
                "updated_at": now,
            }
            if category == C.DONATION:
                amount = Decimal(rng.choice([1, 5, 10, 25, 100])) * 1_000_000
                row |= {"amount_pledged": amount, "currency": "USD"}
                if status in FINAL:
                    paid = amount * Decimal(rng.choice(["0", "0.5", "1"]))
                    if paid:
                        delivered[pk] = paid
            yield row

    writer.write(Pledge, pledges(), n_pledges, "pledges")

    # Sources: 1–5 per pledge; remember each pledge's first source id and count.
    source_ranges = []

    def sources():
        pk = 0
        for pledge_id, (announced, _deadline, _status) in enumerate(facts, 1):
            count = rng.randint(1, 5)
            source_ranges.append((pk + 1, count))
            for j in range(count):
                pk += 1
                publisher, domain = PUBLISHERS[(pledge_id + j) % len(PUBLISHERS)]
                published_on = min(announced + dt.timedelta(days=30 * j), today)
                yield {
                    "id": pk,
                    "pledge_id": pledge_id,
                    "url": f"https://{domain}/news/{pledge_id}/{j}",
                    "title": f"{publisher} report on pledge {pledge_id}, part {j + 1}",
                    "publisher": publisher,
                    "published_on": published_on,
                    "archive_url": f"https://web.archive.org/web/2024/https://{domain}/news/{pledge_id}/{j}"
                    if j % 2 == 0
                    else "",
                    "created_at": now,
                }

    writer.write(Source, sources(), n_pledges * 3, "sources")

    def payments():
        # One confirmed payment per money pledge with money delivered, cited to its first
        # source (the history events for them are left out: the event mix stays as it was).
        for pk, (pledge_id, amount) in enumerate(sorted(delivered.items()), 1):
            announced = facts[pledge_id - 1][0]
            yield {
                "id": pk,
                "pledge_id": pledge_id,
                "recipient": f"Recipient of pledge {pledge_id}",
                "amount": amount,
                "currency": "USD",
                "paid_on": min(announced + dt.timedelta(days=90), today),
                "source_id": source_ranges[pledge_id - 1][0],
                "recorded_at": now,
            }

    writer.write(Disbursement, payments(), len(delivered), "payments")

    links = []

    def events():
        pk = 0
        for pledge_id, (announced, deadline, status) in enumerate(facts, 1):
            first_source, n_sources = source_ranges[pledge_id - 1]
            for event in _pledge_events(rng, announced, deadline, status, today):
                pk += 1
                recorded = dt.datetime.combine(event["occurred_on"], dt.time(12), dt.UTC)
                event |= {
                    "id": pk,
                    "pledge_id": pledge_id,
                    "recorded_at": recorded,
                    # Already fanned out: the alerts task must not see 350k pending events.
                    "alerts_queued_at": recorded,
                }
                if event["kind"] != K.NOTE:
                    links.append((pk, first_source + rng.randrange(n_sources)))
                yield event

    writer.write(PledgeEvent, events(), n_pledges * 3, "events")
    through = PledgeEvent.sources.through
    writer.write(
        through,
        ({"id": i, "pledgeevent_id": e, "source_id": s} for i, (e, s) in enumerate(links, 1)),
        len(links),
        "event sources",
    )
    _reset_sequences([Company, Pledge, Source, Disbursement, PledgeEvent, through])
    _analyze([Company, Pledge, Source, Disbursement, PledgeEvent, through])


def _companies(n, now):
    for pk in range(1, n + 1):
        name = (
            f"{PREFIXES[pk % len(PREFIXES)]} {ROOTS[(pk // len(PREFIXES)) % len(ROOTS)]} "
            f"{SUFFIXES[pk % len(SUFFIXES)]} {pk}"
        )
        yield {
            "id": pk,
            "name": name,
            "slug": slugify(name),
            "website": f"https://company{pk}.example",
            "description": f"{name} is a synthetic company made by the benchmark.",
            "created_at": now,
            "updated_at": now,
        }


def _next_reminder(rng, deadline, status, today, now):
    """A future moment (or None): the published set never has rows due for the sweep."""
    if deadline is None or status in FINAL:
        return None
    if deadline < today:
        # Overdue and already visited: the next "still awaiting a verdict" nudge.
        return now + dt.timedelta(hours=rng.uniform(1, 7 * 24))
    mark = dt.datetime.combine(deadline - dt.timedelta(days=7), dt.time(8), dt.UTC)
    if mark <= now:
        mark = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(8), dt.UTC)
    return max(mark, now + dt.timedelta(hours=1))


def _pledge_events(rng, announced, deadline, status, today):
    """1–6 events: announced first, then deadline moves, notes, the deadline passing, verdicts."""
    count = rng.randint(1, 6)
    horizon = max((today - announced).days, 1)
    days = sorted(rng.randrange(horizon) for _ in range(count - 1))
    events = [{"kind": K.ANNOUNCED, "occurred_on": announced, "new_status": S.NOT_YET_RATED}]
    passed_logged = False
    current = deadline
    for offset in days:
        occurred = announced + dt.timedelta(days=offset)
        roll = rng.random()
        if roll < 0.35 and current is not None:
            new = current + dt.timedelta(days=rng.choice([-90, 90, 180, 365]))
            events.append(
                {
                    "kind": K.DEADLINE_CHANGED,
                    "occurred_on": occurred,
                    "old_deadline": current,
                    "new_deadline": new,
                    "rationale": "The company published a revised timeline.",
                }
            )
            current = new
        elif roll < 0.5 and deadline and deadline < today and not passed_logged:
            passed_logged = True
            events.append(
                {
                    "kind": K.DEADLINE_PASSED,
                    "occurred_on": deadline + dt.timedelta(days=1),
                    "old_deadline": deadline,
                }
            )
        elif roll < 0.75 and status != S.NOT_YET_RATED:
            events.append(
                {
                    "kind": K.STATUS_CHANGED,
                    "occurred_on": occurred,
                    "old_status": S.NOT_YET_RATED,
                    "new_status": status,
                    "rationale": "Reviewed against the published success criteria and sources.",
                }
            )
        else:
            events.append(
                {
                    "kind": K.NOTE,
                    "occurred_on": occurred,
                    "rationale": "Spokesperson reaffirmed the pledge in an interview.",
                }
            )
    return events


# --- the sweep's million -----------------------------------------------------------------


def sweep_filler(sizes, seed=9):
    """Top the pledge table up to ``sweep_pledges`` rows, ``due`` of them due now."""
    rng = random.Random(seed)
    now = timezone.now()
    today = calendar.today()
    start = Pledge.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    total = max(sizes["sweep_pledges"] - Pledge.objects.count(), 0)
    n_companies = Company.objects.count()
    due = min(sizes["due"], total)

    def rows():
        for n in range(total):
            pk = start + 1 + n
            if n < due:
                # Real work for the sweep: deadline passed in the last few days, no verdict.
                deadline = today - dt.timedelta(days=1 + n % 5)
                status, next_at = S.NOT_YET_RATED, calendar.deadline_passes_at(deadline)
            elif n % 10 < 3:
                deadline = today + dt.timedelta(days=10 + n % 700)
                status = S.IN_PROGRESS
                next_at = dt.datetime.combine(deadline - dt.timedelta(days=7), dt.time(8), dt.UTC)
            else:
                deadline = None if n % 3 else today - dt.timedelta(days=400 + n % 900)
                status, next_at = (S.KEPT if deadline else S.IN_PROGRESS), None
            yield {
                "id": pk,
                "company_id": 1 + int(n_companies * rng.random() ** 2),
                # Words from the same lists as the published set: a vocabulary rebuilt at this
                # size holds what titles at scale would, not one number per row.
                "title": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
                "slug": f"sweep-scale-pledge-{pk}",
                "success_criteria": "Synthetic row for the sweep measurement.",
                "category": "other",
                "announced_on": today - dt.timedelta(days=800),
                "deadline": deadline,
                "status": status,
                "is_published": True,
                "version": 1,
                "next_reminder_at": next_at,
                "created_at": now,
                "updated_at": now,
            }

    Writer().write(Pledge, rows(), total, "sweep pledges")
    _reset_sequences([Pledge])
    _analyze([Pledge])
    return Pledge.objects.count()


# --- subscribers ---------------------------------------------------------------------------


def subscriber_model():
    return Subscriber


def subscribers(sizes):
    """Confirmed subscribers who follow every pledge with the default topics; returns how many.

    Written as rows (COPY), so what ``Subscriber.save`` would fill in, the normalised
    address and its keyed hash, is filled in here.
    """
    n = sizes["subscribers"]
    now = timezone.now()
    writer = Writer()

    def people():
        for pk in range(1, n + 1):
            email = normalise_address(f"subscriber{pk}@bench.invalid")
            yield {"id": pk, "email": email, "address_hash": address_hash(email), "created_at": now}

    def follows():
        for pk in range(1, n + 1):
            yield {
                "id": pk,
                "subscriber_id": pk,
                "scope": Subscription.Scope.ALL.value,
                "requested_at": now,
                "confirmed_at": now,
            }

    writer.write(Subscriber, people(), n, "subscribers")
    writer.write(Subscription, follows(), n, "subscriptions")
    _reset_sequences([Subscriber, Subscription])
    _analyze([Subscriber, Subscription])
    return Subscriber.objects.count()


def _reset_sequences(model_list):
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _analyze(model_list):
    """Fresh planner statistics and visibility maps, as autovacuum would leave a table
    this size; done now, so autovacuum does not do it during a measurement.

    PostgreSQL only: nothing runs ANALYZE on a deployed SQLite file, and with its
    statistics SQLite prefers a full scan for range filters on partial indexes.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
