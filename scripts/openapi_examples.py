"""Validates every request example of an OpenAPI 3.1 document against its
request schema as JSON Schema 2020-12 (the dialect OpenAPI 3.1 uses), with
`$ref`s resolved inside the document. openapi-spec-validator checks that the
document is well formed; this checks that what the document promises a
client may send is what its schemas accept (a schema that rejects every
valid body passes the first check and fails this one).

Usage: python3 scripts/openapi_examples.py openapi.json [minimum-examples]
"""

import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:curio:openapi"


def escape(part):
    """A JSON Pointer reference token (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


def examples_of(media, components):
    """The examples a request body's media type offers: its own, and those
    of the component schema it names."""
    found = []
    if "example" in media:
        found.append(("example", media["example"]))
    for name, example in (media.get("examples") or {}).items():
        if "value" in example:
            found.append((name, example["value"]))
    ref = (media.get("schema") or {}).get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = components.get(ref.rsplit("/", 1)[1], {})
        # A schema composed with allOf (a rule across fields) keeps the
        # example on the member that lists the fields.
        for part in [schema, *schema.get("allOf", [])]:
            if "example" in part:
                found.append(("schema example", part["example"]))
            for i, example in enumerate(part.get("examples") or []):
                found.append((f"schema examples[{i}]", example))
    return found


def main():
    path = sys.argv[1]
    minimum = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with open(path) as f:
        document = json.load(f)
    registry = Registry().with_resource(
        BASE, Resource(contents=document, specification=DRAFT202012)
    )
    components = document.get("components", {}).get("schemas", {})
    checked, failures = 0, []
    for route, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for content_type, media in body.get("content", {}).items():
                if "json" not in content_type or "schema" not in media:
                    continue
                # The schema by its place in the document, so that its own
                # `$ref`s resolve against the document.
                pointer = "/".join(
                    escape(p)
                    for p in ["paths", route, method, "requestBody", "content", content_type, "schema"]
                )
                schema = {"$ref": f"{BASE}#/{pointer}"}
                validator = Draft202012Validator(schema, registry=registry)
                for name, example in examples_of(media, components):
                    checked += 1
                    for error in validator.iter_errors(example):
                        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
                        failures.append(
                            f"{method.upper()} {route} ({name}): {where}: {error.message}"
                        )
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        sys.exit(f"{len(failures)} request example errors")
    if checked < minimum:
        sys.exit(f"only {checked} request examples, expected at least {minimum}")
    print(f"{checked} request examples valid under JSON Schema 2020-12")


if __name__ == "__main__":
    main()
