"""The API's OpenAPI 3.1 description, and the Frictionless data package of the CSV export.

Both are built from ``records`` (the field lists and their descriptions), so a field
added there is documented here too; ``tests/test_openapi.py`` validates the document
and checks every endpoint's real answers against it, and checks the data package
against the CSV's header and values.
"""

from django.conf import settings
from django.urls import reverse

from commitments.models import Category, PledgeEvent, Status
from commitments.public import api
from commitments.public import records as opendata

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

_DATE = {"type": "string", "format": "date"}
_DATETIME = {"type": "string", "format": "date-time"}
_DECIMAL = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
_URI = {"type": "string", "format": "uri"}
_STATUS = {"type": "string", "enum": Status.values}


def _nullable(schema):
    return {**schema, "type": [schema["type"], "null"]}


# JSON types of the record fields; descriptions come from ``records``.
PLEDGE_TYPES = {
    "id": {"type": "integer"},
    "slug": {"type": "string"},
    "url": _URI,
    "company": {"type": "string"},
    "company_slug": {"type": "string"},
    "title": {"type": "string"},
    "category": {"type": "string", "enum": Category.values},
    "status": _STATUS,
    "announced_on": _DATE,
    "deadline": _nullable(_DATE),
    "deadline_moves": {"type": ["integer", "null"]},
    "is_overdue": {"type": "boolean"},
    "amount_pledged": _nullable(_DECIMAL),
    "amount_delivered": _nullable(_DECIMAL),
    "amount_unconfirmed": _nullable(_DECIMAL),
    "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
    "success_criteria": {"type": "string"},
    "summary": {"type": "string"},
    "updated_at": _nullable(_DATETIME),
}
COMPANY_TYPES = {
    "id": {"type": "integer"},
    "slug": {"type": "string"},
    "url": _URI,
    "name": {"type": "string"},
    "website": _nullable(_URI),
    "description": {"type": "string"},
}
EVENT_TYPES = {
    "id": {"type": "integer"},
    "pledge": {"type": "string"},
    "kind": {"type": "string", "enum": PledgeEvent.Kind.values},
    "headline": {"type": "string"},
    "occurred_on": _DATE,
    "old_status": {"type": ["string", "null"], "enum": [*Status.values, None]},
    "new_status": {"type": ["string", "null"], "enum": [*Status.values, None]},
    "old_deadline": _nullable(_DATE),
    "new_deadline": _nullable(_DATE),
    "rationale": {"type": "string"},
    "source_urls": {"type": "array", "items": _URI},
    "request_for_comment": {
        "type": ["object", "null"],
        "required": ["asked_on", "reply_by"],
        "properties": {"asked_on": _DATE, "reply_by": _DATE},
        "additionalProperties": False,
    },
    "reply": {
        "type": ["object", "null"],
        "required": ["name", "role", "links", "edited"],
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string"},
            "links": {"type": "array", "items": _URI, "maxItems": 10},
            "edited": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
}
DISBURSEMENT_TYPES = {
    "recipient": {"type": "string"},
    "amount": _nullable(_DECIMAL),
    "currency": {"type": "string"},
    "paid_on": _nullable(_DATE),
    "confirmed": {"type": "boolean"},
    "source_url": _nullable(_URI),
}


def _object(types, descriptions, **extra):
    properties = {
        name: {**schema, "description": descriptions[name]} for name, schema in types.items()
    }
    properties.update(extra)
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name):
    return {
        "type": "object",
        "required": ["data", "next"],
        "properties": {
            "data": {"type": "array", "items": _ref(name)},
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The next page; null on the last one.",
            },
        },
        "additionalProperties": False,
    }


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = _json(_ref("Error"), "")


def _error(description):
    return {**_ERROR, "description": description}


_LIMIT = {
    "name": "limit",
    "in": "query",
    "description": f"Rows per page, 1 to {api.MAX_LIMIT}.",
    "schema": {"type": "integer", "minimum": 1, "maximum": api.MAX_LIMIT},
}
_FILTERS = [
    {
        "name": "q",
        "in": "query",
        "description": "Words in the company name, title or summary.",
        "schema": {"type": "string", "maxLength": 100},
    },
    {
        "name": "company",
        "in": "query",
        "description": "A company's slug.",
        "schema": {"type": "string"},
    },
    {
        "name": "category",
        "in": "query",
        "schema": {"type": "string", "enum": Category.values},
    },
    {"name": "status", "in": "query", "schema": _STATUS},
    {
        "name": "year",
        "in": "query",
        "description": "Pledges with an event that year; events of that year.",
        "schema": {"type": "integer"},
    },
]
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def document():
    """The OpenAPI 3.1 document, absolute to this deployment's ``SITE_URL``."""
    source = {
        "type": "object",
        "required": [
            "url",
            "title",
            "publisher",
            "published_on",
            "archive_url",
            "archived_on",
            "broken_since",
        ],
        "properties": {
            "url": _URI,
            "title": {"type": "string"},
            "publisher": {"type": "string"},
            "published_on": _nullable(_DATE),
            "archive_url": _nullable(_URI),
            "archived_on": _nullable(_DATE),
            "broken_since": _nullable(_DATE),
        },
        "additionalProperties": False,
    }
    schemas = {
        "Pledge": _object(PLEDGE_TYPES, opendata.PLEDGE_FIELDS),
        "PledgeDetail": _object(
            PLEDGE_TYPES,
            opendata.PLEDGE_FIELDS,
            events={"type": "array", "items": _ref("Event"), "description": "Newest first."},
            disbursements={
                "type": "array",
                "items": _ref("Disbursement"),
                "description": "Payments towards a financial pledge, confirmed or announced.",
            },
            sources={"type": "array", "items": _ref("Source")},
        ),
        "Company": _object(COMPANY_TYPES, opendata.COMPANY_FIELDS),
        "CompanyDetail": _object(
            COMPANY_TYPES,
            opendata.COMPANY_FIELDS,
            pledges={
                "type": "array",
                "items": _URI,
                "description": "API addresses of the company's published pledges.",
            },
        ),
        "Event": _object(EVENT_TYPES, opendata.EVENT_FIELDS),
        "Disbursement": _object(DISBURSEMENT_TYPES, opendata.DISBURSEMENT_FIELDS),
        "Source": source,
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
            "additionalProperties": False,
        },
        "PledgeList": _list_of("Pledge"),
        "CompanyList": _list_of("Company"),
        "EventList": _list_of("Event"),
    }
    after = {
        "name": "after",
        "in": "query",
        "description": "Continue after this id (use the `next` link).",
        "schema": {"type": "integer", "minimum": 0},
    }
    paths = {
        "/api/v1/pledges/": {
            "get": {
                "operationId": "listPledges",
                "summary": "Published pledges, by id.",
                "parameters": [_LIMIT, after, *_FILTERS],
                "responses": {
                    "200": _json(_ref("PledgeList"), "A page of pledges."),
                    "400": _error("A bad limit or after."),
                },
            }
        },
        "/api/v1/pledges/{slug}/": {
            "get": {
                "operationId": "getPledge",
                "summary": "One pledge with its history and sources.",
                "parameters": [_SLUG],
                "responses": {
                    "200": _json(_ref("PledgeDetail"), "The pledge."),
                    "404": _error("No published pledge has that slug."),
                },
            }
        },
        "/api/v1/companies/": {
            "get": {
                "operationId": "listCompanies",
                "summary": "Companies with published pledges, by id.",
                "parameters": [_LIMIT, after],
                "responses": {
                    "200": _json(_ref("CompanyList"), "A page of companies."),
                    "400": _error("A bad limit or after."),
                },
            }
        },
        "/api/v1/companies/{slug}/": {
            "get": {
                "operationId": "getCompany",
                "summary": "One company and the addresses of its pledges.",
                "parameters": [_SLUG],
                "responses": {
                    "200": _json(_ref("CompanyDetail"), "The company."),
                    "404": _error("No company with published pledges has that slug."),
                },
            }
        },
        "/api/v1/events/": {
            "get": {
                "operationId": "listEvents",
                "summary": "Events of published pledges, newest first.",
                "parameters": [
                    _LIMIT,
                    {
                        "name": "before",
                        "in": "query",
                        "description": "Continue before this event, `<occurred_on>.<id>` "
                        "(use the `next` link).",
                        "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}\.\d+$"},
                    },
                    *_FILTERS,
                ],
                "responses": {
                    "200": _json(_ref("EventList"), "A page of events."),
                    "400": _error("A bad limit or before."),
                },
            }
        },
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Commitment Tracker API",
            "version": API_VERSION,
            "summary": "Companies' public pledges, their deadlines and verdicts. Read-only.",
            "description": (
                'Every list answers `{"data": [...], "next": url-or-null}`; follow `next` '
                "until it is null. Responses carry ETag and Last-Modified: send them back for "
                "a 304. Any origin may read it (`Access-Control-Allow-Origin: *`)."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "externalDocs": {
            "description": "How we rate pledges",
            "url": settings.SITE_URL + reverse("commitments:methodology"),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


# Frictionless Table Schema types of the CSV columns.
CSV_TYPES = {
    "id": "integer",
    "slug": "string",
    "url": "string",
    "company": "string",
    "company_slug": "string",
    "title": "string",
    "category": "string",
    "status": "string",
    "announced_on": "date",
    "deadline": "date",
    "deadline_moves": "integer",
    "is_overdue": "boolean",
    "amount_pledged": "number",
    "amount_delivered": "number",
    "amount_unconfirmed": "number",
    "currency": "string",
    "success_criteria": "string",
    "summary": "string",
    "updated_at": "datetime",
}
_CSV_FORMATS = {"url": "uri"}
_CSV_ENUMS = {"category": Category.values, "status": Status.values}


def datapackage():
    """A Frictionless Data Package (v1) describing ``pledges.csv``, column by column."""
    fields = []
    for name, description in opendata.PLEDGE_FIELDS.items():
        field = {"name": name, "type": CSV_TYPES[name], "description": description}
        if name in _CSV_FORMATS:
            field["format"] = _CSV_FORMATS[name]
        if name in _CSV_ENUMS:
            field["constraints"] = {"enum": _CSV_ENUMS[name]}
        if name in ("id", "slug", "url", "company", "title", "status", "announced_on"):
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    return {
        "profile": "tabular-data-package",
        "name": "commitment-tracker",
        "title": "Commitment Tracker: companies' public pledges",
        "homepage": settings.SITE_URL + "/",
        "resources": [
            {
                "name": "pledges",
                "path": settings.SITE_URL + reverse("commitments:export_csv"),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "schema": {
                    "fields": fields,
                    "primaryKey": "id",
                    "missingValues": [""],
                },
            }
        ],
    }
