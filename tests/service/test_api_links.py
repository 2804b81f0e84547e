"""The OpenAPI links the routes declare (service/schemas.py) point at operations that exist, with
parameters and body fields those operations take: a renamed route function (FastAPI derives the
operationId from it) fails here rather than silently unlinking the stateful fuzzing."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import make_settings


def test_every_link_names_a_real_operation_and_its_inputs():
    from service.app import create_app

    doc = create_app(make_settings(Path("links-data"))).openapi()
    operations = {op["operationId"]: op for item in doc["paths"].values()
                  for op in item.values()}
    links = [(op["operationId"], status, name, link)
             for op in operations.values() for status, response in op["responses"].items()
             for name, link in response.get("links", {}).items()]
    assert len(links) >= 9
    for source, status, name, link in links:
        target = operations.get(link["operationId"])
        assert target is not None, (source, status, name, link["operationId"])
        taken = {p["name"] for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= taken, (source, name, taken)
        for expression in [*link.get("parameters", {}).values(),
                           *link.get("requestBody", {}).values()]:
            assert expression.startswith("$response.body#/"), expression
        if "requestBody" in link:
            ref = target["requestBody"]["content"]["application/json"]["schema"]
            ref = ref.get("$ref") or next(s["$ref"] for s in ref["anyOf"] if "$ref" in s)
            fields = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
            assert set(link["requestBody"]) <= set(fields), (source, name)
