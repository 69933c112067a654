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
- Only when the words match nothing, a misspelling is tried: the text's trigram *word*
  similarity to pledge titles and company names (pg_trgm's ``%>`` operator, at its default
  ``word_similarity_threshold`` of 0.6), answered by trigram GIN indexes
  (``pledge_title_trgm``, ``company_name_trgm``). "rekogniton" finds "Rekognition".
  Similarity is never computed for every row: the operator lets the index pick candidates.

So a search costs one query to decide between words and trigrams, plus the query that
uses it, whatever the number of matches.

On SQLite (development) the fallback is ``icontains`` over title, summary and company name,
unranked.
"""

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import F, FloatField, Q, Value

CONFIG = "english"
FUNCTION = "tracker_pledge_search_document"
COMPANY_FUNCTION = "tracker_company_search_document"

# Every name in the SQL below is a constant of this module, never user input.
# Installed by migration 0012 (PostgreSQL only; SQLite has neither tsvector nor pg_trgm).
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


def search(pledges, text):
    """``pledges`` matching ``text``, annotated ``search_rank`` and ordered best first."""
    if connection.vendor != "postgresql":
        return (
            pledges.filter(
                Q(title__icontains=text)
                | Q(summary__icontains=text)
                | Q(company__name__icontains=text)
            )
            .annotate(search_rank=Value(0.0, output_field=FloatField()))
            .order_by("-announced_on", "-pk")
        )
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    by_words = pledges.filter(search_document=query)
    if by_words.exists():
        return by_words.annotate(search_rank=SearchRank(F("search_document"), query)).order_by(
            "-search_rank", "-pk"
        )
    # Nothing has these words: perhaps they are misspelt. ``title %> text`` is true when
    # some run of the title's words is trigram-similar enough to the text.
    from commitments.models.companies import Company

    # A union, not an OR: each side is answered by its own trigram index.
    everything = pledges.model.objects.order_by()
    by_title = everything.filter(TrigramWordSimilar(F("title"), text)).values("pk")
    by_company = everything.filter(
        company__in=Company.objects.filter(TrigramWordSimilar(F("name"), text)).values("pk")
    ).values("pk")
    return (
        pledges.filter(pk__in=by_title.union(by_company))
        .annotate(search_rank=TrigramWordSimilarity(text, "title"))
        .order_by("-search_rank", "-pk")
    )
