"""The official CycloneDX JSON schemas, as ``cyclonedx-python-lib`` ships them, as validators.

The bom schemas ``$ref`` two neighbours by relative name (``spdx.SNAPSHOT.schema.json``,
``jsf-0.82.SNAPSHOT.schema.json``), which resolve against the bom schema's ``$id``
(``http://cyclonedx.org/schema/...``). Both are registered under that resolved address (and
under their own ``$id``) in a local ``referencing`` registry, so validation never touches
the network: an unresolvable ``$ref`` raises instead of fetching.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

_BASE = "http://cyclonedx.org/schema/"
_NEIGHBOURS = {
    "spdx.SNAPSHOT.schema.json": "spdx.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json": "jsf-0.82.schema.json",
}


def _load(name: str) -> Any:
    return json.loads((files("cyclonedx.schema") / "_res" / name).read_text(encoding="utf-8"))


@functools.cache
def cyclonedx_validator(spec: str) -> Draft7Validator:
    """A validator for CycloneDX ``spec`` ("1.4", "1.5", "1.6") JSON, formats checked."""
    # Imported here: jsonschema's format checkers compile dozens of grammars on import
    # (about 1.5 s), which every test process would pay while collecting otherwise.
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    registry: Registry[Any] = Registry()
    for shipped, own in _NEIGHBOURS.items():
        resource = Resource.from_contents(_load(shipped), default_specification=DRAFT7)
        registry = registry.with_resources([(_BASE + shipped, resource), (_BASE + own, resource)])
    schema = _load(f"bom-{spec}.SNAPSHOT.schema.json")
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(doc: Any, spec: str) -> list[str]:
    """Every way ``doc`` breaks the schema, as "path: message" lines (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}"
        for e in cyclonedx_validator(spec).iter_errors(doc)
    ]
