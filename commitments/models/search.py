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
  by the closest word (pg_trgm similarity ≥ 0.3) found in up to 50 pledge titles and 50
  company names that the trigram GIN indexes (``pledge_title_trgm``, ``company_name_trgm``)
  call similar to the text (``%>``, at pg_trgm's default ``word_similarity_threshold``
  0.6), and the corrected words are searched as above. "rekogniton" finds "Rekognition",
  at the cost of a search for the right word: similarity is never computed for every row
  of a common word, only for the few candidates read.

So a search costs one query to learn whether the words match (and one more to correct
them when they do not), plus the queries that use the matches, whatever their number.

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


def install(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in INSTALL_SQL:
            schema_editor.execute(statement)


def uninstall(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in UNINSTALL_SQL:
            schema_editor.execute(statement)


# Words near the typed ones, read from at most 50 titles and 50 company names that the
# trigram indexes call similar (``%>``: the text is word-similar to part of the value).
# Reading a few candidates, not every similar row, keeps a misspelling of a common word as
# cheap as a rare one; each typed word is then replaced by its closest candidate word.
CORRECTION_SQL = """
WITH candidates AS (
    (SELECT title AS text FROM commitments_pledge
     WHERE title %%> %(text)s {published_pledges} LIMIT 50)
    UNION ALL
    (SELECT name FROM commitments_company
     WHERE name %%> %(text)s {published_companies} LIMIT 50)
), vocabulary AS (
    SELECT DISTINCT word
    FROM candidates, regexp_split_to_table(lower(text), '[^[:alnum:]]+') AS word
    WHERE word <> ''
)
SELECT coalesce(best.word, typed.word)
FROM unnest(%(words)s::text[]) WITH ORDINALITY AS typed(word, n)
LEFT JOIN LATERAL (
    SELECT word FROM vocabulary WHERE similarity(typed.word, word) >= 0.3
    ORDER BY similarity(typed.word, word) DESC, word LIMIT 1
) best ON true
ORDER BY typed.n
"""
# A reader's misspelling is corrected only from what readers may see: a word taken from a
# draft's title or a company with no published pledge would show on the page ("showing
# pledges with …") and leak it.
PUBLIC_CORRECTION_SQL = CORRECTION_SQL.format(
    published_pledges="AND is_published",
    published_companies="AND EXISTS (SELECT 1 FROM commitments_pledge p "
    "WHERE p.company_id = commitments_company.id AND p.is_published)",
)
CORRECTION_SQL = CORRECTION_SQL.format(published_pledges="", published_companies="")


# The planner prices ``%>`` as a cheap comparison and, hoping to meet 50 candidates early,
# may read rows one by one computing similarities (21 µs a row: seconds when they are
# rare), by a sequential scan or by walking any index that covers published pledges (the
# company page's partial indexes did: 17 ms for a common word, the whole table for a
# rare one). Bitmap scans of the trigram indexes are always the right way in here.
CORRECTION_SETTINGS = ("SET LOCAL enable_seqscan = off", "SET LOCAL enable_indexscan = off")


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
        sql = PUBLIC_CORRECTION_SQL if public else CORRECTION_SQL
        cursor.execute(sql, {"text": text, "words": words})
        corrected = " ".join(word for (word,) in cursor.fetchall())
    if corrected == " ".join(words):
        return Found(nothing)  # nothing near: no match
    return Found(_matching(pledges, corrected), corrected=corrected)


def _matching(pledges, text):
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    return (
        pledges.filter(search_document=query)
        .annotate(search_rank=SearchRank(F("search_document"), query))
        .order_by("-search_rank", "-pk")
    )
