"""CycloneDX 1.5 / 1.6 JSON: a ``BomDocument`` in, the document's text out. Pure.

Components carry purls (``pkg:pypi/NAME@VERSION``) as their ``bom-ref``; what a wheel
bundles (its PEP 770 SBOM) is nested under it. ``dependencies`` lists every component, with
an empty ``dependsOn`` for a leaf. Vulnerabilities come from pipvet's audit: one entry per
finding id, ``affects`` pointing at each affected component, ratings from CVSS (or the
database's own label), the fix version as the recommendation. The advisory snapshot (source
and newest modified time) is in ``metadata.properties``.

Deterministic: everything is sorted, and without a given serial number one is derived from
the content (a UUID 5 of the document without it).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from pipvet.models import AuditReport, Dependency, Finding, NormalizedName, SeverityLabel
from pipvet.sbom.model import (
    BomDocument,
    BundledComponent,
    PackageFacts,
    SbomHash,
    SpecVersion,
)

__all__ = ["render_cyclonedx"]


_HASH_ALGS = {
    "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512",
    "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3",
}  # fmt: skip
_HASH_CONTENT = re.compile(
    r"[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128}"
)
_TYPES = {
    "application", "framework", "library", "container", "platform", "operating-system",
    "device", "device-driver", "firmware", "file", "machine-learning-model", "data",
}  # fmt: skip
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_OSV = "https://osv.dev/vulnerability/"


def _hashes(hashes: Iterable[SbomHash]) -> list[dict[str, str]]:
    return [
        {"alg": h.alg, "content": h.value}
        for h in sorted(set(hashes))
        if h.alg in _HASH_ALGS and _HASH_CONTENT.fullmatch(h.value)
    ]


def _props(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs]


def _bundled(parent: str, items: Iterable[BundledComponent]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ordered = sorted(items, key=lambda b: (b.name, b.version or "", b.purl or "", b.source))
    for i, b in enumerate(ordered, 1):
        entry: dict[str, Any] = {
            "type": b.type if b.type in _TYPES else "library",
            "bom-ref": f"{parent}#bundled-{i}",
            "name": b.name,
        }
        if b.version:
            entry["version"] = b.version
        if hashes := _hashes(b.hashes):
            entry["hashes"] = hashes
        if b.licenses:
            entry["licenses"] = [{"license": {"name": n}} for n in b.licenses]
        if b.purl:
            entry["purl"] = b.purl
        entry["properties"] = _props([("pipvet:declared-in", b.source)])
        out.append(entry)
    return out


def _component(p: PackageFacts) -> dict[str, Any]:
    c = p.component
    entry: dict[str, Any] = {"type": "library", "bom-ref": c.ref, "name": c.label}
    if c.version:
        entry["version"] = c.version
    if hashes := _hashes(c.hashes):
        entry["hashes"] = hashes
    if p.license_expression:
        entry["licenses"] = [{"expression": p.license_expression}]
    elif c.licenses:
        entry["licenses"] = [{"license": {"name": n}} for n in c.licenses]
    if c.purl:
        entry["purl"] = c.purl
    if p.properties:
        entry["properties"] = _props(p.properties)
    if c.bundled:
        entry["components"] = _bundled(c.ref, c.bundled)
    return entry


def _rating(finding: Finding) -> list[dict[str, Any]]:
    sev = finding.severity
    if sev.label == SeverityLabel.UNKNOWN:
        return []
    rating: dict[str, Any] = {"severity": sev.label.text}
    if sev.source == "cvss" and sev.vector:
        vector = sev.vector
        if vector.startswith("CVSS:4"):
            method = "CVSSv4"
        elif vector.startswith("CVSS:3.1"):
            method = "CVSSv31"
        elif vector.startswith("CVSS:3"):
            method = "CVSSv3"
        else:
            method = "CVSSv2"
        if sev.score is not None:
            rating["score"] = sev.score
        rating["method"] = method
        rating["vector"] = vector
    else:
        rating["method"] = "other"
        rating["source"] = {"name": "the advisory database's own severity"}
    return [rating]


def _recommendation(dep: Dependency, finding: Finding) -> str:
    if finding.kind == "malware":
        return f"Remove {dep.label} {dep.version} now: this release is known malware."
    if finding.fixed_in:
        return f"Upgrade {dep.label} to {finding.fixed_in[-1]} or later."
    return f"No fixed release of {dep.label} is known; remove it or replace it."


def _osv_url(advisory_id: str) -> str:
    """The id's page on osv.dev, the id percent-encoded: a record names itself and its
    aliases, and an alias such as "x) [evil](https://evil.example" must stay in the path (an
    SBOM viewer may show the URL as a markdown link)."""
    return _OSV + quote(advisory_id.encode("utf-8", "surrogatepass"), safe="")


def _vulnerabilities(
    report: AuditReport, refs: Mapping[tuple[NormalizedName, str | None], str]
) -> list[Any]:
    grouped: dict[str, list[tuple[Dependency, Finding]]] = {}
    for result in report.results:
        for finding in result.findings:
            grouped.setdefault(finding.id, []).append((result.dependency, finding))
    out: list[dict[str, Any]] = []
    for vid in sorted(grouped):
        pairs = sorted(grouped[vid], key=lambda p: (p[0].name, p[0].version or ""))
        first = pairs[0][1]
        entry: dict[str, Any] = {"bom-ref": f"vulnerability:{vid}", "id": vid}
        entry["source"] = {"name": "OSV", "url": _osv_url(vid)}
        aliases = sorted({a for _, f in pairs for a in f.aliases})
        if aliases:
            entry["references"] = [
                {"id": a, "source": {"name": "OSV", "url": _osv_url(a)}} for a in aliases
            ]
        if ratings := _rating(max((f for _, f in pairs), key=lambda f: f.severity.label)):
            entry["ratings"] = ratings
        if first.summary:
            entry["description"] = first.summary
        entry["recommendation"] = " ".join(dict.fromkeys(_recommendation(d, f) for d, f in pairs))
        if _RFC3339.fullmatch(first.modified):
            entry["updated"] = first.modified
        affects: dict[str, set[str]] = {}
        for dep, _ in pairs:
            ref = refs.get((dep.name, dep.version))
            if ref is not None:
                versions = affects.setdefault(ref, set())
                if dep.version:
                    versions.add(dep.version)
        entry["affects"] = [
            {
                "ref": ref,
                "versions": [{"version": v, "status": "affected"} for v in sorted(vs) if v],
            }
            for ref, vs in sorted(affects.items())
        ]
        props: list[tuple[str, str]] = [("pipvet:kind", first.kind)]
        props.extend(("pipvet:record", r) for r in first.records)
        if first.fixed_in:
            props.append(("pipvet:fixed-in", ", ".join(first.fixed_in)))
        ignored = [f for _, f in pairs if f.ignored]
        if ignored:
            props.append(("pipvet:ignored", ignored[0].ignore_reason or "ignored by the policy"))
        entry["properties"] = _props(props)
        out.append(entry)
    return out


def _metadata(doc: BomDocument) -> dict[str, Any]:
    props: list[tuple[str, str]] = [("pipvet:target", doc.target)]
    if doc.report is not None:
        snap = doc.report.snapshot
        props.append(("pipvet:advisory-source", snap.source))
        newest = snap.newest_modified or "none"
        props.append(("pipvet:advisory-newest-modified", newest))
        props.append(("pipvet:advisory-snapshot", f"{snap.source}@{newest}"))
        props.append(("pipvet:unchecked", str(len(doc.report.unchecked))))
    else:
        props.append(("pipvet:vulnerabilities", "not checked (written without the audit)"))
    tool = {
        "type": "application",
        "name": "pipvet",
        "version": doc.tool_version,
        "purl": f"pkg:pypi/pipvet@{doc.tool_version}",
    }
    return {
        "timestamp": doc.timestamp,
        "tools": {"components": [tool]},
        "properties": _props(props),
    }


def render_cyclonedx(doc: BomDocument, spec: SpecVersion = "1.6") -> str:
    """The CycloneDX JSON text (sorted, two-space indented, ending in a newline)."""
    packages = sorted(doc.packages, key=lambda p: (p.component.name, p.component.version or ""))
    refs = {(p.component.name, p.component.version): p.component.ref for p in packages}
    body: dict[str, Any] = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "version": 1,
        "metadata": _metadata(doc),
        "components": [_component(p) for p in packages],
        "dependencies": [
            {"ref": p.component.ref, "dependsOn": list(p.component.depends_on)} for p in packages
        ],
    }
    if doc.report is not None:
        body["vulnerabilities"] = _vulnerabilities(doc.report, refs)
    serial = doc.serial or derived_serial(body)
    ordered = {"$schema": body.pop("$schema"), "bomFormat": body.pop("bomFormat")}
    ordered.update(specVersion=body.pop("specVersion"), serialNumber=serial, **body)
    return json.dumps(ordered, indent=2, ensure_ascii=True) + "\n"


def derived_serial(body: object, kind: str = "sbom") -> str:
    """A ``urn:uuid:`` that depends only on the content: the same input, the same serial."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (a stranger's "\ud800") cannot be hashed as UTF-8: replaced, for the hash.
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'pipvet-{kind}:' + text)}"
