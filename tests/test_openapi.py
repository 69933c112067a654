"""The API's OpenAPI document is valid and true: every endpoint's real answers match it.
The data package describes the CSV as it is. The open data, and only it, is cross-origin."""

import csv
import datetime as dt
import io
import json
import re

import pytest
import time_machine
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from commitments.domain import replies, workflow
from commitments.public import urls as public_urls
from tests.factories import (
    CompanyFactory,
    DisbursementFactory,
    PledgeFactory,
    ReplyFactory,
    ReplyRequestFactory,
    SourceFactory,
)

TODAY = dt.datetime(2021, 7, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def data(company, superuser):
    """Every kind of value the records hold: money, verdicts with evidence, moves, nulls."""
    with time_machine.travel(TODAY):
        money = PledgeFactory(
            company=company,
            slug="amazon-fund",
            amount_pledged=1000,
            currency="USD",
        )
        DisbursementFactory(pledge=money, amount=250.5)
        source = SourceFactory(pledge=money, archive_url="https://web.archive.org/x")
        workflow.record_verdict(
            money,
            status="partially_kept",
            rationale="Part paid.",
            sources=[source],
            actor=superuser,
        )
        moved = PledgeFactory(company=company, slug="amazon-moved")
        workflow.move_deadline(moved, new_deadline=None, rationale="Indefinite.", actor=superuser)
        SourceFactory(pledge=moved, published_on=None)
        PledgeFactory(company=CompanyFactory(name="Bare", slug="bare", website=""), deadline=None)
        # A published company reply: an event with its request and reply objects.
        reply = ReplyFactory(request=ReplyRequestFactory(pledge=moved))
        replies.publish_reply(reply, actor=superuser)
        for n in range(3):
            PledgeFactory(company=company, slug=f"amazon-extra-{n}")


@pytest.fixture
def document(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def check(document, path, status, body):
    """Validate ``body`` against what ``document`` says ``path`` answers with ``status``."""
    answer = document["paths"][path]["get"]["responses"][str(status)]
    schema = {**answer["content"]["application/json"]["schema"], **document}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(body)


def test_the_document_is_valid_openapi_3_1(document):
    validate_spec(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "https://tracker.example.org"}]


def test_the_document_covers_every_api_route(document):
    routes = {
        re.sub(r"<slug:(\w+)>", r"{\1}", "/" + str(pattern.pattern))
        for pattern in public_urls.urlpatterns
        if str(pattern.pattern).startswith("api/v1/")
    }
    assert routes - {"/api/v1/openapi.json"} == set(document["paths"])


@time_machine.travel(TODAY)
def test_every_endpoint_answers_as_documented(client, data, document):
    """Walk each path: every page of each list, every pledge and company, and the errors."""
    seen = set()
    for path in document["paths"]:
        if "{slug}" in path:
            continue
        url = path + "?limit=2"
        while url:
            response = client.get(url)
            assert response.status_code == 200, url
            body = json.loads(response.content)
            check(document, path, 200, body)
            seen.add(path)
            url = body["next"].removeprefix("https://tracker.example.org") if body["next"] else None
            for row in body["data"]:
                if path == "/api/v1/pledges/":
                    detail = client.get(f"/api/v1/pledges/{row['slug']}/")
                    check(document, "/api/v1/pledges/{slug}/", 200, json.loads(detail.content))
                    seen.add("/api/v1/pledges/{slug}/")
                if path == "/api/v1/companies/":
                    detail = client.get(f"/api/v1/companies/{row['slug']}/")
                    check(document, "/api/v1/companies/{slug}/", 200, json.loads(detail.content))
                    seen.add("/api/v1/companies/{slug}/")
        for status, query in ((400, "?limit=x"),):
            response = client.get(path + query)
            assert response.status_code == status, path
            check(document, path, status, json.loads(response.content))
    for path in ("/api/v1/pledges/{slug}/", "/api/v1/companies/{slug}/"):
        response = client.get(path.format(slug="no-such-thing"))
        assert response.status_code == 404
        check(document, path, 404, json.loads(response.content))
    assert seen == set(document["paths"])
    events = client.get("/api/v1/events/?limit=200").json()["data"]
    assert {"company_reply", "deadline_changed"} <= {e["kind"] for e in events}


@time_machine.travel(TODAY)
def test_a_record_with_an_undocumented_field_would_fail(client, data, document):
    body = json.loads(client.get("/api/v1/pledges/amazon-fund/").content)
    body["surprise"] = 1
    with pytest.raises(Exception, match="surprise"):
        check(document, "/api/v1/pledges/{slug}/", 200, body)


def parse(kind, text):
    """A CSV cell read as a Frictionless Table Schema type; raises if it is not one."""
    if text == "":
        return None
    return {
        "integer": int,
        "number": float,
        "date": dt.date.fromisoformat,
        "datetime": dt.datetime.fromisoformat,
        "boolean": {"True": True, "False": False}.__getitem__,
        "string": str,
    }[kind](text)


@time_machine.travel(TODAY)
def test_the_datapackage_describes_every_csv_column_and_the_values_fit(client, data):
    package = json.loads(client.get("/datapackage.json").content)
    [resource] = package["resources"]
    assert resource["path"] == "https://tracker.example.org/pledges.csv"
    fields = resource["schema"]["fields"]
    response = client.get("/pledges.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [field["name"] for field in fields]
    assert all(field["description"] for field in fields)
    for row in rows[1:]:
        for field, cell in zip(fields, row, strict=True):
            value = parse(field["type"], cell)
            constraints = field.get("constraints", {})
            if constraints.get("required"):
                assert value is not None, field["name"]
            if "enum" in constraints and value is not None:
                assert value in constraints["enum"], field["name"]


CROSS_ORIGIN = [
    "/api/v1/pledges/",
    "/api/v1/pledges/amazon-fund/",
    "/api/v1/pledges/no-such-thing/",
    "/api/v1/companies/",
    "/api/v1/companies/amazon/",
    "/api/v1/events/",
    "/api/v1/openapi.json",
    "/datapackage.json",
    "/pledges.csv",
    "/pledges.json",
    "/deadlines.ics",
]
SAME_ORIGIN = ["/", "/pledges/", "/pledges/amazon-fund/", "/companies/", "/api/", "/alerts/"]


@time_machine.travel(TODAY)
def test_only_the_open_data_is_readable_from_other_origins(client, data):
    for url in CROSS_ORIGIN:
        first = client.get(url, headers={"Origin": "https://elsewhere.example"})
        assert first["Access-Control-Allow-Origin"] == "*", url
        if first.status_code == 200:  # the cached copy and a 304 say so too
            assert client.get(url)["Access-Control-Allow-Origin"] == "*", url
            again = client.get(url, headers={"If-None-Match": first["ETag"]})
            assert (again.status_code, again["Access-Control-Allow-Origin"]) == (304, "*"), url
    for url in SAME_ORIGIN:
        response = client.get(url, headers={"Origin": "https://elsewhere.example"})
        assert response.status_code == 200, url
        assert "Access-Control-Allow-Origin" not in response, url


@time_machine.travel(TODAY)
def test_the_api_page_lists_every_endpoint_for_people(client, data, document):
    html = client.get("/api/").content.decode()
    for path in document["paths"]:
        assert f"<code>GET {path}</code>" in html
    assert 'href="/api/v1/openapi.json"' in html
    assert 'href="/datapackage.json"' in html
    assert "&quot;deadline&quot;: &quot;string or null (date)&quot;" in html
