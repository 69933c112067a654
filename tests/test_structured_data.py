"""Structured data (ClaimReview, Organization) and the share panel on public pages."""

import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import time_machine

from commitments.domain import workflow
from tests.factories import CompanyFactory, PledgeFactory, SourceFactory

TODAY = dt.datetime(2021, 7, 1, 12, tzinfo=dt.UTC)

# What Google's fact-check markup requires of a ClaimReview (developers.google.com/search/
# docs/appearance/structured-data/factcheck): claimReviewed, reviewRating with a textual
# alternateName (and, being numeric here, its scale), and url; author, datePublished and
# itemReviewed (a Claim with its author and date) are what it recommends; we give them all.
_ORGANIZATION = {
    "type": "object",
    "required": ["@type", "name"],
    "properties": {"@type": {"const": "Organization"}, "name": {"type": "string", "minLength": 1}},
}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
CLAIM_REVIEW = {
    "type": "object",
    "required": [
        "@context",
        "@type",
        "url",
        "claimReviewed",
        "reviewRating",
        "author",
        "datePublished",
        "itemReviewed",
    ],
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@type": {"const": "ClaimReview"},
        "url": {"type": "string", "pattern": "^https://"},
        "claimReviewed": {"type": "string", "minLength": 1},
        "author": _ORGANIZATION,
        "datePublished": _DATE,
        "reviewRating": {
            "type": "object",
            "required": ["@type", "ratingValue", "bestRating", "worstRating", "alternateName"],
            "properties": {
                "@type": {"const": "Rating"},
                "ratingValue": {"type": "integer"},
                "bestRating": {"type": "integer"},
                "worstRating": {"type": "integer"},
                "alternateName": {"type": "string", "minLength": 1},
            },
        },
        "itemReviewed": {
            "type": "object",
            "required": ["@type", "author", "datePublished"],
            "properties": {
                "@type": {"const": "Claim"},
                "author": _ORGANIZATION,
                "datePublished": _DATE,
                "appearance": {
                    "type": "array",
                    "items": {"type": "object", "required": ["@type", "url"]},
                },
            },
        },
    },
}


def json_ld(html):
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def rate(pledge, status, actor, rationale="Checked against the annual report."):
    source = SourceFactory(pledge=pledge)
    workflow.record_verdict(
        pledge, status=status, rationale=rationale, sources=[source], actor=actor
    )


@time_machine.travel(TODAY)
@pytest.mark.parametrize(("status", "value"), [("kept", 3), ("partially_kept", 2), ("broken", 1)])
def test_a_final_verdict_is_published_as_a_claim_review(client, pledge, superuser, status, value):
    rate(pledge, status, superuser)
    [review] = json_ld(client.get(pledge.get_absolute_url()).content.decode())
    jsonschema.validate(review, CLAIM_REVIEW)
    rating = review["reviewRating"]
    assert rating["ratingValue"] == value
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert rating["alternateName"] == pledge.get_status_display()
    assert review["url"] == "https://tracker.example.org/pledges/amazon-moratorium/"
    assert review["itemReviewed"]["author"]["name"] == "Amazon"
    assert review["datePublished"] == "2021-07-01"
    assert review["reviewBody"] == "Checked against the annual report."


@time_machine.travel(TODAY)
@pytest.mark.parametrize("status", ["not_yet_rated", "in_progress", "stalled"])
def test_a_pledge_without_a_final_verdict_has_no_claim_review(client, pledge, superuser, status):
    if status != "not_yet_rated":
        rate(pledge, status, superuser)
    assert json_ld(client.get(pledge.get_absolute_url()).content.decode()) == []


@time_machine.travel(TODAY)
def test_json_ld_cannot_be_closed_early_by_what_staff_typed(client, company, superuser):
    pledge = PledgeFactory(company=company, title="</script><script>alert(1)</script> & more")
    rate(pledge, "kept", superuser, rationale="Kept </script> <b>really</b>.")
    html = client.get(pledge.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    [review] = json_ld(html)
    assert review["itemReviewed"]["text"] == "</script><script>alert(1)</script> & more"
    assert review["reviewBody"] == "Kept </script> <b>really</b>."


def test_a_company_page_describes_the_organization(client, pledge):
    [org] = json_ld(client.get("/companies/amazon/").content.decode())
    assert org == {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": "https://tracker.example.org/companies/amazon/#organization",
        "name": "Amazon",
        "mainEntityOfPage": "https://tracker.example.org/companies/amazon/",
        "url": "https://amazon.example.com/",
    }
    bare = CompanyFactory(name="Bare & Co", slug="bare", website="", description="")
    PledgeFactory(company=bare)
    [org] = json_ld(client.get("/companies/bare/").content.decode())
    assert set(org) == {"@context", "@type", "@id", "name", "mainEntityOfPage"}


def test_the_share_panel_offers_plain_links_and_no_third_party_script(client, pledge):
    html = client.get(pledge.get_absolute_url()).content.decode()
    panel = html[html.index('<section class="share"') :]
    panel = panel[: panel.index("</section>")]
    links = {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)', panel)
    }
    assert list(links) == [
        "Email",
        "Bluesky",
        "X (Twitter)",
        "Facebook",
        "LinkedIn",
        "Reddit",
        "WhatsApp",
    ]
    page = "https://tracker.example.org/pledges/amazon-moratorium/"
    email = parse_qs(urlsplit(links["Email"]).query)
    assert email["body"] == [page]
    assert email["subject"][0].startswith("Amazon: One-year moratorium")
    assert parse_qs(urlsplit(links["Facebook"]).query) == {"u": [page]}
    assert page in parse_qs(urlsplit(links["Bluesky"]).query)["text"][0]
    assert 'data-copy-link="' + page + '"' in panel
    # Scripts: only our own copy-link file; no images or frames from anyone.
    assert re.findall(r"<script src=\"([^\"]+)\"", html) == ["/static/commitments/share.js"]
    assert "<img" not in panel
    assert "<iframe" not in html
