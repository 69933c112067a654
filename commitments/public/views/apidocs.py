"""Descriptions of the open data for machines and people: the OpenAPI document, the
Frictionless data package of the CSV, and the human API page built from the former."""

import json

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from commitments.public import openapi
from commitments.public.caching import public_page
from commitments.public.cors import open_to_all_origins


@open_to_all_origins
@require_safe
@public_page
def openapi_document(request):
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 1})


@open_to_all_origins
@require_safe
@public_page
def datapackage(request):
    return JsonResponse(openapi.datapackage(), json_dumps_params={"indent": 1})


def _example(schema, components):
    """The schema's field names and types, as a reader-friendly JSON-ish outline."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if schema.get("type") == "object" and "properties" in schema:
        return {name: _example(sub, components) for name, sub in schema["properties"].items()}
    if schema.get("type") == "array":
        return [_example(schema["items"], components)]
    kind = schema.get("type")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    return f"{kind} ({schema['format']})" if "format" in schema else kind


@require_safe
@public_page
def api_page(request):
    document = openapi.document()
    components = document["components"]["schemas"]
    endpoints = []
    for path, item in document["paths"].items():
        operation = item["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        endpoints.append(
            {
                "path": path,
                "summary": operation["summary"],
                "parameters": operation["parameters"],
                "errors": [
                    (code, answer["description"])
                    for code, answer in operation["responses"].items()
                    if code != "200"
                ],
                "shape": json.dumps(_example(ok, components), indent=2),
            }
        )
    return render(
        request,
        "commitments/api.html",
        {"endpoints": endpoints, "info": document["info"], "servers": document["servers"]},
    )
