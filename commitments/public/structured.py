"""Structured data for search engines and fact-check aggregators, as schema.org JSON-LD.

A pledge with a final verdict is published as a ``ClaimReview`` (the form fact-checkers
use: the claim is the company's pledge, the rating our verdict); a company page as an
``Organization``. ``ld_json`` makes the block safe inside HTML: ``<``, ``>`` and ``&``
are written as JSON escapes, so no text can close the script element early. A JSON-LD
block is data, never run, so the Content-Security-Policy's script rule does not apply.
"""

import json

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from commitments.domain import calendar
from commitments.models import Status

# Our verdicts on a 1–3 scale, the best last: ClaimReview wants a number and its words.
RATINGS = {Status.BROKEN: 1, Status.PARTIALLY_KEPT: 2, Status.KEPT: 3}
_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def ld_json(data):
    """``<script type="application/ld+json">`` holding ``data``, safe to put in a page."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 - the three HTML-significant characters are JSON escapes


def _tracker():
    return {"@type": "Organization", "name": "Commitment Tracker", "url": settings.SITE_URL + "/"}


def claim_review(pledge):
    """The pledge's ClaimReview, or None until it has a final verdict (prefetch events)."""
    verdict = pledge.latest_verdict()
    if pledge.status not in RATINGS or verdict is None:
        return None
    company = pledge.company
    page = settings.SITE_URL + pledge.get_absolute_url()
    claim = {
        "@type": "Claim",
        "author": {
            "@type": "Organization",
            "name": company.name,
            "url": company.website or settings.SITE_URL + company.get_absolute_url(),
        },
        "datePublished": pledge.announced_on.isoformat(),
        "text": pledge.title,
    }
    appearances = [{"@type": "CreativeWork", "url": s.url} for s in pledge.sources.all()]
    if appearances:
        claim["appearance"] = appearances[:1]  # the first source: where the pledge was made
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": page,
        "claimReviewed": f"{company.name} pledged: {pledge.title}",
        "itemReviewed": claim,
        "author": _tracker(),
        "datePublished": calendar.local_date(verdict.recorded_at).isoformat(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATINGS[pledge.status],
            "bestRating": max(RATINGS.values()),
            "worstRating": min(RATINGS.values()),
            "alternateName": pledge.get_status_display(),
        },
    }
    if verdict.rationale:
        review["reviewBody"] = verdict.rationale
    return review


def organization(company):
    page = settings.SITE_URL + company.get_absolute_url()
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": page + "#organization",
        "name": company.name,
        "mainEntityOfPage": page,
    }
    if company.website:
        data["url"] = company.website
    if company.description:
        data["description"] = company.description
    return data
