"""The API's OpenAPI document (``/api/openapi.json``, docs/api.md "Schema names") tells the truth:
every schema has its own name, the document is valid OpenAPI 3.1, and every example in it is
valid against the schema it illustrates.

Ninja names a component after its class, so two classes of one name (two ``InstallmentOut``)
used to collapse into one component, and the loan detail was documented with an arrangement's
instalments.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client
from ninja import Schema
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

pytestmark = pytest.mark.django_db


@pytest.fixture(name="document")
def openapi_document() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _schema_classes() -> dict[str, set[type[Schema]]]:
    """Every ninja ``Schema`` class of the product, by name (the routers imported first)."""
    importlib.import_module("config.api")
    found: dict[str, set[type[Schema]]] = defaultdict(set)
    stack: list[type] = [Schema]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("autocollect."):
            found[cls.__name__].add(cls)
    return found


def test_no_two_schema_classes_share_a_name() -> None:
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in _schema_classes().items()
        if len(classes) > 1
    }
    assert shared == {}


def test_each_component_has_the_fields_of_its_own_class(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    classes = _schema_classes()
    checked = 0
    for name, component in components.items():
        if len(classes.get(name, ())) != 1:
            continue
        (cls,) = classes[name]
        expected = {
            mode: set(cls.model_json_schema(mode=mode).get("properties", {}))
            for mode in ("validation", "serialization")
        }
        assert set(component.get("properties", {})) in expected.values(), name
        checked += 1
    assert checked >= 50  # the check saw the product's components, not nothing


def test_the_loan_detail_documents_the_loan_schedule(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    ref = components["LoanDetailOut"]["properties"]["schedule"]["items"]["$ref"]
    installment = components[ref.rsplit("/", 1)[1]]
    assert {"principal_fen", "paid_principal_fen", "outstanding_yuan"} <= set(
        installment["properties"]
    )


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    errors = [str(error) for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def _examples(node: Any, path: str = "") -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every example in the document: a schema's ``example`` and
    ``examples`` (a list), and a parameter's or a media type's ``example`` and ``examples``
    (a map of Example Objects) beside its ``schema``."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _examples(item, f"{path}/{index}")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        where = f"{path}/{key}"
        if key == "schema" and isinstance(value, dict):
            yield from _schema_examples(value, where)
            if "example" in node:
                yield f"{path}/example", node["example"], value
            if isinstance(node.get("examples"), dict):
                for name, example in node["examples"].items():
                    yield f"{path}/examples/{name}", example.get("value"), value
        elif key not in ("example", "examples"):
            yield from _examples(value, where)


def _schema_examples(schema: Any, path: str) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _schema_examples(item, f"{path}/{index}")
        return
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield f"{path}/example", schema["example"], schema
    if isinstance(schema.get("examples"), list):
        for index, example in enumerate(schema["examples"]):
            yield f"{path}/examples/{index}", example, schema
    for key, value in schema.items():
        if key not in ("example", "examples", "enum", "const", "default"):
            yield from _schema_examples(value, f"{path}/{key}")


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    components = document["components"]
    found = [
        example
        for name, schema in components["schemas"].items()
        for example in _schema_examples(schema, f"#/components/schemas/{name}")
    ]
    found += list(_examples(document["paths"], "#/paths"))
    assert len(found) >= 4  # the request bodies' examples (docs/api.md) are in the document
    invalid = []
    for where, example, schema in found:
        # The components beside the schema, so that its $refs resolve.
        validator = jsonschema_rs.validator_for({**schema, "components": components})
        invalid += [f"{where}: {error}" for error in validator.iter_errors(example)]
    assert invalid == []
