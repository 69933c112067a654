"""Nothing unpublished leaks: every public URL answers about a draft-only company, a draft
pledge or its source exactly as it would about one that does not exist.

The URLs are generated from the public URLconf, so a new route cannot be forgotten.
"""

import gzip
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from commitments.domain import replies, workflow
from commitments.public import exports
from commitments.public.listing import PledgeFilterForm
from commitments.public.sitemaps import SITEMAPS
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    EventFactory,
    PledgeFactory,
    ReplyFactory,
    ReplyRequestFactory,
    SourceFactory,
    UserFactory,
)

SECRETS = ("Stealth Corp", "Secret draft plan", "secret-leak", "stealth-plan", "Hidden Foundation")
# The right of reply: a reply staff have not judged, one they withheld (on the published
# pledge), and one published on the draft pledge; and the contacts, never public at all.
SECRETS += ("Unjudged reply words", "Withheld reply words", "Draft pledge reply words")
SECRETS += ("Hidden Contact", "hidden.contact@")
# Slugs to try for each kind of slug argument: private ones, and one that never existed.
PRIVATE_SLUGS = ("stealth", "secret-draft")
MISSING_SLUG = "no-such-thing"
# Every timeline/export filter (from the form, so a new one is covered), plus the alert page's.
QUERIES = [f"{name}={{slug}}" for name in PledgeFilterForm.base_fields] + [
    "pledge={slug}",
    "company={slug}&status=not_yet_rated",
]


@pytest.fixture
def private(pledge):
    """A published Amazon pledge; a draft one beside it; a company with only drafts."""
    draft = PledgeFactory(company=pledge.company, title="Secret draft plan", slug="secret-draft")
    source = SourceFactory(pledge=draft, url="https://news.example.com/secret-leak")
    # Broken, with an archived copy: the pages' other way of showing a source.
    type(source).objects.filter(pk=source.pk).update(
        broken_since="2026-01-10T00:00Z",
        archive_url="https://web.archive.org/web/2020/https://news.example.com/secret-leak",
        archived_at="2020-06-12T09:30Z",
    )
    EventFactory(pledge=draft, kind="status_changed", new_status="broken").sources.add(source)
    # A confirmed payment of the draft, with its "payment confirmed" event.
    draft.amount_pledged, draft.currency = 100, "USD"
    draft.save()
    workflow.record_disbursement(
        draft,
        recipient="Hidden Foundation",
        amount=5,
        currency="USD",
        paid_on=draft.announced_on,
        source=source,
        actor=None,
    )
    stealth = CompanyFactory(name="Stealth Corp", slug="stealth")
    PledgeFactory(company=stealth, title="Secret draft plan 2", slug="stealth-plan")
    for hidden in (draft, stealth.pledges.get()):
        hidden.is_published = False
        hidden.save()
    reviewer = UserFactory(username="leak-reviewer", is_superuser=True)
    contact = ContactFactory(
        company=pledge.company, name="Hidden Contact", email="hidden.contact@amazon.example"
    )
    for words, withhold in (("Unjudged reply words", False), ("Withheld reply words", True)):
        reply = ReplyFactory(
            request=ReplyRequestFactory(pledge=pledge, contacts=[contact]),
            body=words,
            name=words,
            links=[f"https://amazon.example/{words.split()[0].lower()}-secret-leak"],
        )
        if withhold:
            replies.publish_reply(reply, actor=reviewer)
            replies.withhold_reply(reply, reason="Withheld reply words", actor=reviewer)
    on_draft = ReplyFactory(
        request=ReplyRequestFactory(pledge=draft, contacts=[contact]),
        body="Draft pledge reply words",
    )
    replies.publish_reply(on_draft, actor=reviewer)


def public_routes(resolver=None, namespace=""):
    """(namespaced name, converters) of every named route outside the admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from public_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.pattern.converters


def addresses(slug):
    """Every public address, with ``slug`` wherever a route or filter takes one."""
    for name, converters in public_routes():
        if "section" in converters:  # one address per sitemap section
            for section in SITEMAPS:
                yield reverse(name, kwargs={"section": section})
            continue
        kwargs = {
            arg: slug if type(converter).__name__ == "SlugConverter" else "not-a-token"
            for arg, converter in converters.items()
        }
        path = reverse(name, kwargs=kwargs)
        yield path
        if not kwargs:
            yield from (f"{path}?{query.format(slug=slug)}" for query in QUERIES)


def text_of(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # A fresh CSRF token per request is the one difference that is not about content.
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", body.decode())


def test_the_routes_cover_every_kind_of_public_page():
    names = {name for name, _ in public_routes()}
    assert {
        "commitments:pledge",
        "commitments:company_calendar",
        "commitments:alerts-subscribe",
    } <= names


@pytest.mark.parametrize("private_slug", PRIVATE_SLUGS)
def test_every_public_url_answers_about_a_draft_as_about_nothing(client, private, private_slug):
    missing = list(addresses(MISSING_SLUG))
    for url, twin in zip(addresses(private_slug), missing, strict=True):
        response, expected = client.get(url), client.get(twin)
        assert response.status_code == expected.status_code, url
        text = text_of(response)
        assert [secret for secret in SECRETS if secret in text] == [], url
        # The slug itself may only come back where the reader's own input is echoed.
        assert text.replace(private_slug, MISSING_SLUG) == text_of(expected), url
        if private_slug not in url:  # nothing typed: no private slug anywhere, any case
            assert [s for s in (*PRIVATE_SLUGS, "stealth-plan") if s in text.lower()] == [], url


def test_the_built_whole_table_files_hold_nothing_unpublished(client, private):
    assert exports.build_all()["built"]
    directory = exports.export_dir()
    for name in exports.FILES:
        plain = (directory / name).read_bytes()
        assert gzip.decompress((directory / f"{name}.gz").read_bytes()) == plain, name
        text = plain.decode()
        assert [secret for secret in SECRETS if secret in text] == [], name
        assert [s for s in (*PRIVATE_SLUGS, "stealth-plan") if s in text.lower()] == [], name
        assert text_of(client.get(f"/{name}")) == text, name  # what readers get is the file
