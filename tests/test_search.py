"""Search: one ``Pledge.objects.search`` behind the timeline, the API's ``q`` and the admin.

Tests marked ``postgres`` need PostgreSQL (full-text ranking, misspellings, indexes): they
skip on SQLite and fail when CI=true. The others hold on both databases.
"""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import Company, Pledge, search
from commitments.public.listing import FilterForm, search_results
from commitments.public.tasks import build_exports
from tests.bulk import populate
from tests.conftest import require_or_skip
from tests.factories import CompanyFactory, PledgeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres():
    require_or_skip(
        connection.vendor == "postgresql",
        "full-text search needs PostgreSQL: set DATABASE_URL=postgres://…",
    )


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="rita", groups=["Reviewers"]))
    return client


def titles(pledges):
    return [p.title for p in pledges]


def test_the_timeline_lists_the_matches_with_their_count(client, pledge):
    PledgeFactory(company=pledge.company, title="Donate to food banks", summary="Food.")
    PledgeFactory(title="Draft about Rekognition", is_published=False)
    response = client.get("/", {"q": "rekognition"})
    html = response.content.decode()
    assert response.status_code == 200
    assert titles(response.context["results"]) == [pledge.title]
    assert "1 pledge matches “rekognition”" in html
    assert "Draft about" not in html
    assert "food banks" not in html


def test_a_search_that_finds_nothing_says_so(client, pledge):
    html = client.get("/", {"q": "zyxwvut"}).content.decode()
    assert "0 pledges match “zyxwvut”" in html
    assert "No pledge matches these words" in html


def test_search_words_are_escaped_on_the_page(client, pledge):
    html = client.get("/", {"q": "<script>x</script>"}).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_api_q_uses_the_same_search(client, pledge):
    PledgeFactory(company=pledge.company, title="Donate to food banks", summary="Food.")
    body = json.loads(client.get("/api/v1/pledges/", {"q": "rekognition"}).content)
    assert [p["title"] for p in body["data"]] == [pledge.title]


def test_the_admin_search_uses_the_same_search(staff_client, pledge):
    PledgeFactory(company=pledge.company, title="Donate to food banks", summary="Food.")
    url = reverse("admin:commitments_pledge_changelist")
    response = staff_client.get(url, {"q": "rekognition"})
    assert titles(response.context["cl"].result_list) == [pledge.title]


def test_the_verdict_queue_search_uses_the_same_search(staff_client, pledge):
    late = {"deadline": dt.date(2020, 1, 1), "status": Pledge.Status.NOT_YET_RATED}
    Pledge.objects.filter(pk=pledge.pk).update(**late)
    PledgeFactory(company=pledge.company, title="Donate to food banks", **late)
    url = reverse("admin:commitments_pledgeawaitingverdict_changelist")
    response = staff_client.get(url, {"q": "rekognition"})
    assert titles(response.context["cl"].result_list) == [pledge.title]


def count_queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


SEARCH_URLS = [
    "/?q=bulk",
    "/?q=bulk+-nothing&status=kept",
    "/?q=zyxwvut",
    "/api/v1/pledges/?q=bulk",
]


def test_search_query_counts_do_not_grow_with_the_matches(client, staff_client):
    admin_url = reverse("admin:commitments_pledge_changelist") + "?q=bulk"
    populate(5, companies=5)
    small = {url: count_queries(client, url) for url in SEARCH_URLS}
    small[admin_url] = count_queries(staff_client, admin_url)
    populate(495, companies=100)
    large = {url: count_queries(client, url) for url in SEARCH_URLS}
    large[admin_url] = count_queries(staff_client, admin_url)
    assert large == small


# --- PostgreSQL: ranking, misspellings, indexes ---------------------------------------


def test_title_outranks_company_outranks_summary(postgres):
    in_summary = PledgeFactory(title="Plant trees", summary="Planned with Lumen partners.")
    in_company = PledgeFactory(company=CompanyFactory(name="Lumen Corp"), title="Plant shrubs")
    in_title = PledgeFactory(title="Lumen lighting for every office")
    assert titles(Pledge.objects.search("lumen")) == titles([in_title, in_company, in_summary])


def test_the_page_ranks_the_newest_matches_best_first_and_says_how_many(
    client, postgres, monkeypatch
):
    monkeypatch.setattr("commitments.public.listing.SEARCH_RANKED", 3)
    oldest_in_title = PledgeFactory(title="Lumen lamps in every depot")
    in_summary = PledgeFactory(title="Plant trees", summary="With Lumen partners.")
    in_title = PledgeFactory(title="Lumen lighting for every office")
    in_company = PledgeFactory(company=CompanyFactory(name="Lumen Corp"), title="Plant shrubs")
    PledgeFactory(title="Lumen draft", is_published=False)

    response = client.get("/", {"q": "lumen"})

    # The three newest published matches are ranked (title > company > summary); the
    # oldest is counted only as the "+".
    assert titles(response.context["results"]) == [
        in_title.title,
        in_company.title,
        in_summary.title,
    ]
    html = response.content.decode()
    results_box = html.split('class="search-results"')[1].split("</section>")[0]
    assert "3+ pledges match “lumen”" in results_box
    assert "The 3 best of the 3 newest matches" in results_box
    assert oldest_in_title.title not in results_box
    # Fewer shown than ranked: the best are chosen by rank, not by age.
    filters = FilterForm({"q": "lumen"}).filters()
    assert titles(search_results(filters, size=1)[0]) == [in_title.title]
    assert titles(search_results(filters, size=2)[0]) == [in_title.title, in_company.title]


def refreshed():
    """The misspelling vocabulary rebuilt, as the beat task does after a change."""
    search.refresh_vocabulary()


def test_a_misspelling_still_finds_its_pledge(postgres, pledge):
    PledgeFactory(title="Donate to food banks", summary="Food.")
    refreshed()
    assert titles(Pledge.objects.search("rekogniton")) == [pledge.title]
    assert titles(Pledge.objects.search("amazn rekogniton", public=True)) == [pledge.title]


def test_a_misspelt_company_name_finds_its_pledges(postgres, pledge):
    refreshed()
    assert titles(Pledge.objects.search("amazn")) == [pledge.title]


def test_websearch_syntax(postgres, pledge):
    other = PledgeFactory(title="Police body cameras", summary="Cameras.")
    assert set(titles(Pledge.objects.search("police"))) == {pledge.title, other.title}
    assert titles(Pledge.objects.search("police -cameras")) == [pledge.title]
    assert titles(Pledge.objects.search('"body cameras"')) == [other.title]


def test_renaming_a_company_renames_it_in_search(postgres, pledge):
    Company.objects.filter(pk=pledge.company_id).update(name="Zonama")
    assert titles(Pledge.objects.search("zonama")) == [pledge.title]
    assert titles(Pledge.objects.search("amazon")) == []


def test_editing_a_title_updates_the_search(postgres, pledge):
    pledge.title = "Halve water use"
    pledge.save()
    assert titles(Pledge.objects.search("water")) == [pledge.title]


def _plan(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        # As search.find runs the correction (no-ops for the full-text query).
        for setting in search.CORRECTION_SETTINGS:
            cursor.execute(setting)
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_uses_its_indexes(postgres, pledge):
    # Enough rows, of varied words, that an index is the planner's own choice.
    populate(1500, companies=1500)
    Company.objects.bulk_create(
        Company(name=f"Company {i} {word}{i}", slug=f"company-{i}")
        for i in range(20_000)
        for word in [("North", "Retail", "Mining", "Cedar", "Steel")[i % 5]]
    )
    refreshed()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE commitments_pledge")
        cursor.execute("ANALYZE commitments_company")
        cursor.execute(f"ANALYZE {search.VOCABULARY}")
        # Fresh rows wait in a GIN index's pending list (merged by VACUUM in production),
        # which the planner prices as a scan of its own.
        cursor.execute("SELECT gin_clean_pending_list('pledge_search'::regclass)")
    sql, params = Pledge.objects.search("rekognition").query.sql_with_params()
    assert "pledge_search" in _plan(sql, params)
    for sql in (search.CORRECTION_SQL, search.PUBLIC_CORRECTION_SQL):
        plan = _plan(sql, {"words": ["rekogniton", "steal"]})
        assert "searchword_trgm" in plan, plan


def test_the_page_says_which_words_it_searched_instead(postgres, client, pledge):
    refreshed()
    html = client.get("/", {"q": "rekogniton"}).content.decode()
    assert "1 pledge matches “rekogniton”" in html
    assert "showing pledges with “rekognition”" in html
    assert pledge.title in html


def test_a_readers_misspelling_is_never_corrected_from_a_draft_or_a_hidden_company(
    postgres, client, pledge
):
    PledgeFactory(title="Secret Zanzibarian acquisition", is_published=False)
    PledgeFactory(
        company=CompanyFactory(name="Quetzalcoatl Holdings", slug="hidden"), is_published=False
    )
    refreshed()
    for typed, secret in (("zanzibarien", "zanzibarian"), ("quetzalcoatel", "quetzalcoatl")):
        for url in (f"/?q={typed}", f"/pledges/?q={typed}", f"/api/v1/pledges/?q={typed}"):
            assert secret not in client.get(url).content.decode().lower(), url
        # Staff searching the admin do get the correction: drafts are theirs.
        assert Pledge.objects.search(typed).exists()
        assert not Pledge.objects.search(typed, public=True).exists()


def test_a_withdrawn_pledges_words_are_not_offered_before_the_vocabulary_catches_up(
    postgres, client, pledge
):
    retracted = PledgeFactory(title="Zanzibarian acquisition")
    refreshed()
    assert Pledge.objects.search("zanzibarien", public=True).exists()
    retracted.is_published = False
    retracted.save()
    # The vocabulary still holds "zanzibarian" as public until the next beat; the page must
    # not offer it, since the corrected words find nothing a reader may see.
    # Nor with "or", which would make the withdrawn word optional in the corrected search.
    for typed in ("zanzibarien", "zanzibarien or rekogniton"):
        for url in ("/", "/pledges/", "/api/v1/pledges/"):
            html = client.get(url, {"q": typed}).content.decode().lower()
            assert "zanzibarian" not in html, (url, typed)


def test_the_beat_task_teaches_the_vocabulary_a_new_pledges_words(postgres):
    PledgeFactory(title="Xylophone lessons for every school")
    assert not Pledge.objects.search("xylofone", public=True).exists()
    build_exports()  # what beat runs every minute: the content changed, so it rebuilds
    assert titles(Pledge.objects.search("xylofone", public=True)) == [
        "Xylophone lessons for every school"
    ]


def test_new_vocabulary_words_go_straight_into_its_index(postgres):
    # A GIN index's pending list is read whole by every lookup until VACUUM merges it: the
    # first refresh after an import would make each misspelling cost a scan of every word.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'searchword_trgm'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]


def test_a_failed_vocabulary_refresh_is_tried_again_on_the_next_tick(postgres, monkeypatch):
    PledgeFactory(title="Xylophone lessons for every school")
    real_refresh = search.refresh_vocabulary

    def lock_timeout():
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(search, "refresh_vocabulary", lock_timeout)
    with pytest.raises(OperationalError):
        build_exports()
    monkeypatch.setattr(search, "refresh_vocabulary", real_refresh)
    assert build_exports()["built"] is True  # the files waited for the vocabulary
    assert Pledge.objects.search("xylofone", public=True).exists()


def test_a_pledge_published_while_the_vocabulary_is_rebuilt_is_learnt_on_the_next_tick(
    postgres, monkeypatch
):
    real_refresh = search.refresh_vocabulary

    def refresh_then_an_editor_publishes():
        real_refresh()
        PledgeFactory(title="Xylophone lessons for every school")

    monkeypatch.setattr(search, "refresh_vocabulary", refresh_then_an_editor_publishes)
    assert build_exports()["built"] is True
    monkeypatch.setattr(search, "refresh_vocabulary", real_refresh)
    assert not Pledge.objects.search("xylofone", public=True).exists()
    assert build_exports()["built"] is True  # not "unchanged": the files' version was read first
    assert Pledge.objects.search("xylofone", public=True).exists()
