"""Finding pledges by words: one entry point, ``Pledge.objects.search(text)``.

On PostgreSQL:
- Full-text search over ``Pledge.search_document``, a ``tsvector`` the database keeps
  (title weight A, company name B, summary C; English stemming). A trigger fills it when a
  pledge's title, summary or company changes, and another rewrites a company's pledges when
  the company is renamed, so no write path can forget it. The column is bookkeeping for the
  content-version triggers (``commitments.models.content``): it changes only with columns
  that already move the version. A GIN index (``pledge_search``) answers ``@@``.
- The text is read with ``websearch_to_tsquery`` (what readers type into search boxes:
  ``"exact phrase"``, ``or``, ``-word``); results are ranked with ``ts_rank``.
- Only when the words match nothing, a misspelling is assumed: each typed word is replaced
  by the closest word (pg_trgm similarity ≥ 0.3) of the vocabulary, a materialized view of
  the distinct words of pledge titles and company names with a trigram index
  (``searchword_trgm``), and the corrected words are searched as above. "rekogniton" finds
  "Rekognition". The vocabulary is rebuilt with the whole-table files, at most once a
  minute after a change (``commitments.public.tasks``). With the bench's 100k pledges and
  20k companies it holds 20k words; on a machine where the timeline takes 13 ms, a lookup
  took 0.1–0.2 ms where reading the titles similar to the text had taken 13 ms (the
  misspelt timeline search 60.5 → 42.7 ms in a full bench run of 1 December), and a
  refresh takes 1.3 s of the worker's time (2.2 s from empty).

So a search costs one query to learn whether the words match (and, when they do not, one
for the nearest words, in a transaction of its own that sets ``CORRECTION_SETTINGS``, and one
to check they find a pledge), plus the queries that use the matches, whatever their number.

On SQLite (development) the fallback is ``icontains`` over title, summary and company name,
unranked.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, FloatField, Q, QuerySet, Value

MAX_WORDS = 10  # of a misspelt search, the words corrected

CONFIG = "english"
FUNCTION = "tracker_pledge_search_document"
COMPANY_FUNCTION = "tracker_company_search_document"

# Every name in the SQL below is a constant of this module, never user input.
# Installed by migration 0017 (PostgreSQL only; SQLite has neither tsvector nor pg_trgm).
INSTALL_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
    BEGIN
        NEW.search_document :=
            setweight(to_tsvector('{CONFIG}', coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector('{CONFIG}', coalesce(
                (SELECT name FROM commitments_company WHERE id = NEW.company_id), '')), 'B')
            || setweight(to_tsvector('{CONFIG}', coalesce(NEW.summary, '')), 'C');
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,  # noqa: S608
    # Only the columns the document is made of: the sweep's updates do not pay for it.
    f"""
    CREATE TRIGGER tracker_pledge_search_document
    BEFORE INSERT OR UPDATE OF title, summary, company_id ON commitments_pledge
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
    """,
    f"""
    CREATE OR REPLACE FUNCTION {COMPANY_FUNCTION}() RETURNS trigger AS $$
    BEGIN
        UPDATE commitments_pledge SET search_document =
            setweight(to_tsvector('{CONFIG}', coalesce(title, '')), 'A')
            || setweight(to_tsvector('{CONFIG}', coalesce(NEW.name, '')), 'B')
            || setweight(to_tsvector('{CONFIG}', coalesce(summary, '')), 'C')
        WHERE company_id = NEW.id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,  # noqa: S608
    f"""
    CREATE TRIGGER tracker_company_search_document
    AFTER UPDATE OF name ON commitments_company
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION {COMPANY_FUNCTION}()
    """,
    # Existing rows: fire the pledge trigger once.
    "UPDATE commitments_pledge SET title = title",
    "CREATE INDEX pledge_search ON commitments_pledge USING gin (search_document)",
    # The two trigram indexes served the first misspelling correction; 0024 drops them.
    "CREATE INDEX pledge_title_trgm ON commitments_pledge USING gin (title gin_trgm_ops)",
    "CREATE INDEX company_name_trgm ON commitments_company USING gin (name gin_trgm_ops)",
]
UNINSTALL_SQL = [
    "DROP INDEX IF EXISTS company_name_trgm",
    "DROP INDEX IF EXISTS pledge_title_trgm",
    "DROP INDEX IF EXISTS pledge_search",
    "DROP TRIGGER IF EXISTS tracker_company_search_document ON commitments_company",
    f"DROP FUNCTION IF EXISTS {COMPANY_FUNCTION}()",
    "DROP TRIGGER IF EXISTS tracker_pledge_search_document ON commitments_pledge",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


def execute_on_postgresql(schema_editor, statements):
    """Run a migration's ``statements``; nothing on SQLite, which has no tsvector or pg_trgm."""
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def install(schema_editor):
    execute_on_postgresql(schema_editor, INSTALL_SQL)


def uninstall(schema_editor):
    execute_on_postgresql(schema_editor, UNINSTALL_SQL)


# The misspelling vocabulary, pg_trgm's own recipe for spelling suggestions: the distinct
# words of every pledge title and company name, one row each, with a trigram index. A typed
# word is compared with a few hundred similar words, not with every title that shares its
# letters (a common word's titles are thousands). ``public``: the word is in a published
# title or the name of a company with a published pledge; only those correct a reader's search.
# A materialized view, refreshed with the whole-table files (``refresh_vocabulary``).
# Migration 0024 runs these statements. PostgreSQL will not change the type of a column a view
# reads (pledge title, is_published, company_id; company name): a migration that does must
# drop the view first and create it again after (VOCABULARY_UNINSTALL_SQL, then these).
VOCABULARY = "commitments_searchword"
VOCABULARY_INSTALL_SQL = [
    f"""
    CREATE MATERIALIZED VIEW {VOCABULARY} AS
    SELECT word, bool_or(public) AS public FROM (
        SELECT regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS word,
            is_published AS public
        FROM commitments_pledge
        UNION ALL
        SELECT regexp_split_to_table(lower(name), '[^[:alnum:]]+'),
            EXISTS (SELECT 1 FROM commitments_pledge p
                    WHERE p.company_id = c.id AND p.is_published)
        FROM commitments_company c
    ) AS words
    WHERE word <> ''
    GROUP BY word
    """,  # noqa: S608
    # Unique: what REFRESH ... CONCURRENTLY needs to leave the view readable meanwhile.
    f"CREATE UNIQUE INDEX searchword_word ON {VOCABULARY} (word)",
    # fastupdate off: a refresh writes its new words into the index itself. With the default,
    # they wait in the index's pending list, which every lookup reads whole until a VACUUM
    # merges it: after the first refresh of 20k words, 30 ms a lookup instead of 0.1.
    f"""CREATE INDEX searchword_trgm ON {VOCABULARY} USING gin (word gin_trgm_ops)
    WITH (fastupdate = off)""",
]
VOCABULARY_UNINSTALL_SQL = [f"DROP MATERIALIZED VIEW IF EXISTS {VOCABULARY}"]

# Each typed word replaced by its closest word in the vocabulary (``%``: pg_trgm similarity
# at least its ``similarity_threshold``, 0.3), or kept when none is close.
CORRECTION_SQL = f"""
SELECT coalesce(best.word, typed.word)
FROM unnest(%(words)s::text[]) WITH ORDINALITY AS typed(word, n)
LEFT JOIN LATERAL (
    SELECT word FROM {VOCABULARY} WHERE word %% typed.word {{public_only}}
    ORDER BY similarity(typed.word, word) DESC, word LIMIT 1
) best ON true
ORDER BY typed.n
"""  # noqa: S608
# A reader's misspelling is corrected only from what readers may see: a word taken from a
# draft's title or a company with no published pledge would show on the page ("showing
# pledges with …") and leak it.
PUBLIC_CORRECTION_SQL = CORRECTION_SQL.format(public_only="AND public")
CORRECTION_SQL = CORRECTION_SQL.format(public_only="")


# The typed word is a parameter of the lateral join, so the planner cannot estimate how
# many words are similar to it and may prefer reading the whole vocabulary, computing a
# similarity per row (60 ms a word at 20k words, against 0.1): the trigram index is the way in.
CORRECTION_SETTINGS = ("SET LOCAL enable_seqscan = off",)


def refresh_vocabulary():
    """Rebuild the misspelling vocabulary from the titles and names as they are now.

    Readers go on using the previous one while it runs (``CONCURRENTLY``). Until then a
    new pledge's words are not offered as corrections, and a withdrawn one's may be: a
    correction is used only when it finds a pledge the searcher may see (``find``).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {VOCABULARY}")


@dataclass(frozen=True)
class Found:
    pledges: QuerySet  # the matches, ``search_rank`` annotated, best first
    corrected: str | None = None  # the words searched instead, when the typed ones were not found


def find(pledges, text, *, public=False):
    """``pledges`` matching ``text``, and the corrected words if a misspelling was assumed.

    ``public``: a search by readers. ``pledges`` must then hold published pledges only,
    and a misspelling is corrected only from published titles and public company names.
    """
    if connection.vendor != "postgresql":
        found = pledges.filter(
            Q(title__icontains=text) | Q(summary__icontains=text) | Q(company__name__icontains=text)
        )
        rank = Value(0.0, output_field=FloatField())
        return Found(found.annotate(search_rank=rank).order_by("-announced_on", "-pk"))
    by_words = _matching(pledges, text)
    if by_words.exists():
        return Found(by_words)
    # Nothing has these words: perhaps they are misspelt. If not, the answer is an empty
    # queryset, so the lists filtered by it are answered without a query.
    nothing = by_words.none()
    words = re.findall(r"\w+", text.lower())[:MAX_WORDS]
    if not words:
        return Found(nothing)
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in CORRECTION_SETTINGS:
            cursor.execute(setting)
        cursor.execute(PUBLIC_CORRECTION_SQL if public else CORRECTION_SQL, {"words": words})
        corrections = [word for (word,) in cursor.fetchall()]
    offered = [new for typed, new in zip(words, corrections, strict=True) if new != typed]
    if not offered:
        return Found(nothing)  # nothing near: no match
    # The vocabulary may be a minute old: the words it offered are shown only if together
    # they find a pledge in ``pledges``, so a withdrawn draft's word never reaches a reader's
    # page. Plain words, all required: an "or" typed beside them must not make one optional.
    offered_words = SearchQuery(" ".join(offered), search_type="plain", config=CONFIG)
    if not pledges.filter(search_document=offered_words).exists():
        return Found(nothing)
    corrected = " ".join(corrections)
    return Found(_matching(pledges, corrected), corrected=corrected)


def _matching(pledges, text):
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    return (
        pledges.filter(search_document=query)
        .annotate(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "-pk")
    )
