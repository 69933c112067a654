"""Stable, documented records for the exports and the JSON API.

Field names here are a public contract: add fields, never rename or remove them.
``FIELDS`` documents each one on the methodology page.
"""

from django.conf import settings

from commitments.models import Category, Status


def _iso(value):
    return value.isoformat() if value is not None else None


def _amount(value):
    return str(value) if value is not None else None


PLEDGE_FIELDS = {
    "id": "Stable numeric identifier of the pledge.",
    "slug": "Short name used in the pledge's address.",
    "url": "The pledge's public page.",
    "company": "Company name.",
    "company_slug": "Short name of the company, as used in its address and in the company filter.",
    "title": "What was promised, in one line.",
    "category": "Kind of pledge, one of: " + ", ".join(Category.values) + ".",
    "status": "Current verdict, one of: " + ", ".join(Status.values) + ".",
    "announced_on": "Date the pledge was made public (YYYY-MM-DD).",
    "deadline": (
        "Date it falls due (YYYY-MM-DD), or empty when it has no end date (never stated, or "
        "extended until further notice: see deadline_moves and the pledge's events)."
    ),
    "deadline_moves": "How many times the deadline was moved.",
    "is_overdue": "True when the deadline has passed without a final verdict.",
    "amount_pledged": "Money promised, as a decimal string; empty for non-financial pledges.",
    "amount_delivered": (
        "Money a cited source confirms was delivered (the sum of the confirmed payments), as a "
        "decimal string; empty when no delivery is confirmed yet (unknown, which is not the "
        "same as zero)."
    ),
    "amount_unconfirmed": (
        "Money pledged that no source confirms as delivered yet (pledged minus confirmed); "
        "empty for non-financial pledges."
    ),
    "currency": "ISO 4217 code of the amounts.",
    "success_criteria": "What would count as kept, stated when the pledge was logged.",
    "summary": "Background, in Markdown.",
    "updated_at": "When the record last changed (UTC, ISO 8601).",
}


COMPANY_FIELDS = {
    "id": "Stable numeric identifier of the company.",
    "slug": "Short name used in the company's address.",
    "url": "The company's public page.",
    "name": "Company name.",
    "website": "The company's own website.",
    "description": "One or two sentences about the company.",
}

EVENT_FIELDS = {
    "id": "Stable numeric identifier of the event.",
    "pledge": "Slug of the pledge the event belongs to.",
    "kind": (
        "announced, deadline_changed, status_changed, deadline_passed, disbursement (a payment "
        "a source confirms), payment_withdrawn (a payment's confirmation withdrawn as recorded "
        "in error), note, company_reply (the company's published reply to a request "
        "for comment) or no_reply (it did not respond by the date asked)."
    ),
    "headline": "One-line description, as on the timeline.",
    "occurred_on": "The day it happened or took effect (YYYY-MM-DD).",
    "old_status": "Status before a verdict (status_changed only).",
    "new_status": "Status after a verdict (status_changed only).",
    "old_deadline": "Deadline before it moved or passed.",
    "new_deadline": "Deadline after it moved (empty: no end date any more).",
    "rationale": "Why: the reviewer's explanation for readers.",
    "source_urls": "Evidence cited for this step (JSON only).",
    "request_for_comment": (
        "For company_reply and no_reply: when the company was asked for comment (asked_on) "
        "and the date it was asked to reply by (reply_by); empty otherwise."
    ),
    "reply": (
        "For company_reply: who replied (name, role), the links the company gave, and "
        "whether the tracker edited its formatting (edited; the words are never changed). "
        "The reply itself is in rationale."
    ),
}


DISBURSEMENT_FIELDS = {
    "recipient": "The organisation paid (or announced as a recipient).",
    "amount": "Amount as a decimal string; empty when no source gives it.",
    "currency": "ISO 4217 code: the pledge's currency.",
    "paid_on": "Day of the payment, or the day a source reports it (YYYY-MM-DD).",
    "confirmed": (
        "True when a cited source confirms the payment; only these count as delivered. "
        "False: announced, not confirmed."
    ),
    "source_url": "The source that confirms it (empty when not confirmed).",
}


def pledge_record(pledge):
    return {
        "id": pledge.pk,
        "slug": pledge.slug,
        "url": settings.SITE_URL + pledge.get_absolute_url(),
        "company": pledge.company.name,
        "company_slug": pledge.company.slug,
        "title": pledge.title,
        "category": pledge.category,
        "status": pledge.status,
        "announced_on": _iso(pledge.announced_on),
        "deadline": _iso(pledge.deadline),
        "deadline_moves": getattr(pledge, "deadline_moves", None),
        "is_overdue": pledge.is_overdue,
        "amount_pledged": _amount(pledge.amount_pledged),
        "amount_delivered": _amount(pledge.amount_delivered),
        "amount_unconfirmed": _amount(pledge.amount_unconfirmed),
        "currency": pledge.currency or None,
        "success_criteria": pledge.success_criteria,
        "summary": pledge.summary,
        "updated_at": _iso(pledge.updated_at),
    }


def company_record(company):
    return {
        "id": company.pk,
        "slug": company.slug,
        "url": settings.SITE_URL + company.get_absolute_url(),
        "name": company.name,
        "website": company.website or None,
        "description": company.description,
    }


def disbursement_record(payment):
    return {
        "recipient": payment.recipient,
        "amount": _amount(payment.amount),
        "currency": payment.currency,
        "paid_on": _iso(payment.paid_on),
        "confirmed": payment.is_confirmed,
        "source_url": payment.source.url if payment.source_id else None,
    }


def event_record(event, *, with_sources=True):
    record = {
        "id": event.pk,
        "pledge": event.pledge.slug,
        "kind": event.kind,
        "headline": event.headline,
        "occurred_on": _iso(event.occurred_on),
        "old_status": event.old_status or None,
        "new_status": event.new_status or None,
        "old_deadline": _iso(event.old_deadline),
        "new_deadline": _iso(event.new_deadline),
        "rationale": event.rationale,
    }
    if with_sources:
        record["source_urls"] = [source.url for source in event.sources.all()]
    request = event.reply_request
    record["request_for_comment"] = (
        {"asked_on": _iso(request.sent_on), "reply_by": _iso(request.reply_by)}
        if request is not None
        else None
    )
    reply = getattr(event, "reply", None) if event.kind == "company_reply" else None
    record["reply"] = (
        {"name": reply.name, "role": reply.role, "links": reply.links, "edited": reply.edited}
        if reply is not None
        else None
    )
    return record
