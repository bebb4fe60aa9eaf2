"""SPDX 2.3 JSON: a ``BomDocument`` in, the document's text out. Pure.

Packages (one per component, with its purl as an external reference, the document
``DESCRIBES`` each), ``DEPENDS_ON`` relationships from the dependency graph, and what a
wheel bundles as packages ``CONTAINS``-ed by it. No vulnerabilities: SPDX 2.3 has no place
for them (write CycloneDX for that). Deterministic, like the CycloneDX writer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pipvet.sbom.cyclonedx import derived_serial
from pipvet.sbom.model import BomDocument, SbomHash

__all__ = ["render_spdx"]

_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]+")
# An SPDX licence expression, roughly: ids, LicenseRef-, AND / OR / WITH, parentheses.
_EXPRESSION = re.compile(r"[A-Za-z0-9.+:() -]+")
_ALGS = {
    "SHA-1": "SHA1", "SHA-256": "SHA256", "SHA-384": "SHA384", "SHA-512": "SHA512",
    "MD5": "MD5", "SHA3-256": "SHA3-256", "SHA3-384": "SHA3-384", "SHA3-512": "SHA3-512",
    "BLAKE2b-256": "BLAKE2b-256", "BLAKE2b-384": "BLAKE2b-384", "BLAKE2b-512": "BLAKE2b-512",
    "BLAKE3": "BLAKE3",
}  # fmt: skip


def _spdx_id(text: str, used: set[str]) -> str:
    base = "SPDXRef-" + (_ID_CHARS.sub("-", text).strip("-") or "package")
    found, n = base, 1
    while found in used:
        n += 1
        found = f"{base}-{n}"
    used.add(found)
    return found


def _checksums(hashes: tuple[SbomHash, ...]) -> list[dict[str, str]]:
    return [
        {"algorithm": _ALGS[h.alg], "checksumValue": h.value}
        for h in sorted(set(hashes))
        if h.alg in _ALGS
    ]


def _package(
    spdx_id: str,
    *,
    name: str,
    version: str | None,
    purl: str | None,
    license_expression: str | None,
    hashes: tuple[SbomHash, ...],
    comment: str | None = None,
) -> dict[str, Any]:
    declared = "NOASSERTION"
    if license_expression and _EXPRESSION.fullmatch(license_expression):
        declared = license_expression
    entry: dict[str, Any] = {"SPDXID": spdx_id, "name": name}
    if version:
        entry["versionInfo"] = version
    entry.update(
        downloadLocation="NOASSERTION",
        filesAnalyzed=False,
        licenseConcluded="NOASSERTION",
        licenseDeclared=declared,
        copyrightText="NOASSERTION",
    )
    if checksums := _checksums(hashes):
        entry["checksums"] = checksums
    if purl:
        entry["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }
        ]
    if comment:
        entry["comment"] = comment
    return entry


def render_spdx(doc: BomDocument) -> str:
    """The SPDX 2.3 JSON text (two-space indented, ending in a newline)."""
    used: set[str] = {"SPDXRef-DOCUMENT"}
    packages: list[dict[str, Any]] = []
    relationships: list[dict[str, str]] = []
    ids: dict[str, str] = {}
    ordered = sorted(doc.packages, key=lambda p: (p.component.name, p.component.version or ""))
    for p in ordered:
        c = p.component
        ids[c.ref] = _spdx_id(f"Package-{c.name}-{c.version or 'unversioned'}", used)
    for p in ordered:
        c = p.component
        own = ids[c.ref]
        packages.append(
            _package(
                own,
                name=c.label,
                version=c.version,
                purl=c.purl,
                license_expression=p.license_expression,
                hashes=c.hashes,
            )
        )
        relationships.append(_rel("SPDXRef-DOCUMENT", "DESCRIBES", own))
        relationships.extend(_rel(own, "DEPENDS_ON", ids[d]) for d in c.depends_on if d in ids)
        for b in sorted(c.bundled, key=lambda b: (b.name, b.version or "", b.source)):
            inner = _spdx_id(f"Bundled-{c.name}-{b.name}-{b.version or ''}", used)
            note = f"bundled in {c.label} {c.version or ''}, declared in {b.source}"
            packages.append(
                _package(
                    inner,
                    name=b.name,
                    version=b.version,
                    purl=b.purl,
                    license_expression=None,
                    hashes=b.hashes,
                    comment=note,
                )
            )
            relationships.append(_rel(own, "CONTAINS", inner))
    body: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"pipvet SBOM of {doc.target}",
        "documentNamespace": "",
        "creationInfo": {
            "created": doc.timestamp,
            "creators": [f"Tool: pipvet-{doc.tool_version}"],
        },
        "packages": packages,
        "relationships": relationships,
    }
    serial = doc.serial or derived_serial(body, "spdx")
    body["documentNamespace"] = "https://spdx.org/spdxdocs/pipvet-" + serial.removeprefix(
        "urn:uuid:"
    )
    return json.dumps(body, indent=2, ensure_ascii=True) + "\n"


def _rel(a: str, kind: str, b: str) -> dict[str, str]:
    return {"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b}
