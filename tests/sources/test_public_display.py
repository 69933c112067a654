"""What readers see of a source's state: a broken original leads with its archived copy."""

import datetime as dt

from commitments.models import Source
from tests.factories import EventFactory, SourceFactory

ARCHIVED = "https://web.archive.org/web/20200612093000/https://news.example.com/pledge"


def _source(pledge, *, broken, archive_url="", archived_at=None, title="Amazon's statement"):
    source = SourceFactory(
        pledge=pledge, url="https://news.example.com/pledge", title=title, archive_url=archive_url
    )
    Source.objects.filter(pk=source.pk).update(
        archived_at=archived_at,
        broken_since=dt.datetime(2026, 1, 10, tzinfo=dt.UTC) if broken else None,
    )
    return source


def test_a_broken_source_links_its_archived_copy_first_and_says_so(client, pledge):
    source = _source(
        pledge,
        broken=True,
        archive_url=ARCHIVED,
        archived_at=dt.datetime(2020, 6, 12, 9, 30, tzinfo=dt.UTC),
    )
    EventFactory(pledge=pledge).sources.add(source)

    page = client.get(pledge.get_absolute_url()).content.decode()

    expected = (
        f'<a href="{ARCHIVED}" rel="nofollow noopener">Amazon&#x27;s statement</a>, Example News'
    )
    assert page.count(expected) == 2  # in the evidence of the event and under Sources
    assert (
        "(original no longer available; archived copy from "
        '<time datetime="2020-06-12">12 June 2020</time>; '
        '<a href="https://news.example.com/pledge" rel="nofollow noopener">original address</a>)'
    ) in page


def test_a_typed_wayback_address_gives_the_copy_its_date(client, pledge):
    _source(pledge, broken=True, archive_url=ARCHIVED)  # typed by staff: no archived_at

    page = client.get(pledge.get_absolute_url()).content.decode()

    assert 'archived copy from <time datetime="2020-06-12">12 June 2020</time>' in page


def test_a_broken_source_without_a_copy_says_the_original_is_gone(client, pledge):
    _source(pledge, broken=True)

    page = client.get(pledge.get_absolute_url()).content.decode()

    assert '<a href="https://news.example.com/pledge" rel="nofollow noopener">' in page
    assert "(original no longer available; no archived copy)" in page


def test_a_working_source_links_the_original_and_its_dated_copy(client, pledge):
    _source(
        pledge,
        broken=False,
        archive_url=ARCHIVED,
        archived_at=dt.datetime(2020, 6, 12, 9, 30, tzinfo=dt.UTC),
    )

    page = client.get(pledge.get_absolute_url()).content.decode()

    assert (
        '<a href="https://news.example.com/pledge" rel="nofollow noopener">Amazon&#x27;s statement</a>'
        in page
    )
    assert (
        f'(<a href="{ARCHIVED}" rel="nofollow noopener">archived copy</a> from '
        '<time datetime="2020-06-12">12 June 2020</time>)'
    ) in page
    assert "no longer available" not in page


def test_a_source_without_a_copy_no_longer_promises_one(client, pledge):
    _source(pledge, broken=False)

    page = client.get(pledge.get_absolute_url()).content.decode()

    assert "no archived copy yet" not in page
    assert "no longer available" not in page


def test_the_page_changes_when_the_checker_finds_a_source_broken(client, pledge):
    source = _source(pledge, broken=False, archive_url=ARCHIVED)
    assert "no longer available" not in client.get(pledge.get_absolute_url()).content.decode()

    Source.objects.filter(pk=source.pk).update(broken_since=dt.datetime(2026, 1, 10, tzinfo=dt.UTC))

    assert "no longer available" in client.get(pledge.get_absolute_url()).content.decode()


def test_titles_are_escaped(client, pledge):
    _source(pledge, broken=True, archive_url=ARCHIVED, title="<script>x</script>")

    page = client.get(pledge.get_absolute_url()).content.decode()

    assert "<script>x</script>" not in page


def test_the_api_gives_the_copy_date_and_the_broken_state(client, pledge):
    _source(
        pledge,
        broken=True,
        archive_url=ARCHIVED,
        archived_at=dt.datetime(2020, 6, 12, 9, 30, tzinfo=dt.UTC),
    )

    record = client.get(f"/api/v1/pledges/{pledge.slug}/").json()["sources"][0]

    assert (record["archive_url"], record["archived_on"], record["broken_since"]) == (
        ARCHIVED,
        "2020-06-12",
        "2026-01-10",
    )
