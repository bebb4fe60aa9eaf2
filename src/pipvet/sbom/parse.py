"""Reading an SBOM's JSON value into an inventory: CycloneDX 1.3-1.6 and SPDX 2.2/2.3 (also
the GitHub dependency-graph export, which wraps SPDX in ``{"sbom": ...}``). Pure: the JSON
value in, an ``SbomInventory`` out; ``read`` does the file.

An SBOM is other people's input. Nothing here trusts a type, a length or a count: entries
of the wrong shape are skipped and counted in one warning, strings are cut, nesting and the
number of components are bounded, and a name that is not a valid project name is not
passed on as one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipvet.errors import InputError
from pipvet.models import canonicalize_name, is_project_name
from pipvet.sbom.model import (
    BundledComponent,
    SbomComponent,
    SbomFormat,
    SbomInventory,
)
from pipvet.sbom.parse_fields import (
    MAX_COMPONENTS,
    MAX_DEPTH,
    MAX_STRING,
    Notes,
    Purl,
    as_list,
    cdx_licenses,
    cut_text,
    parse_purl,
    read_hashes,
    spdx_license,
    spdx_purl,
    with_deps,
)

__all__ = ["CYCLONEDX_VERSIONS", "SPDX_VERSIONS", "parse_bundled", "parse_sbom", "sbom_format"]

CYCLONEDX_VERSIONS = ("1.3", "1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")


# ---------------------------------------------------------------------------- CycloneDX


@dataclasses.dataclass
class _CdxState:
    notes: Notes
    source: str
    pypi: list[SbomComponent] = dataclasses.field(default_factory=list)
    other: int = 0
    seen_refs: set[str] = dataclasses.field(default_factory=set)
    # pip-audit writes components with a name and version and no purl: in a document where
    # no component names another ecosystem, such a library is taken as a PyPI package.
    assume_pypi: bool = False
    assumed: int = 0
    # Components looked at, nested ones included: each list is capped, but 10 components of
    # 150,000 children each made 1,500,000 rows (3.6 GB) from one 45 MB file.
    visited: int = 0


def _bundled(raw: Mapping[str, Any], notes: Notes, source: str) -> BundledComponent | None:
    name = cut_text(raw.get("name"), notes)
    if not name:
        notes.skip("components without a name")
        return None
    kind = cut_text(raw.get("type"), notes) or "library"
    return BundledComponent(
        name=name,
        version=cut_text(raw.get("version"), notes),
        purl=cut_text(raw.get("purl"), notes),
        type=kind,
        hashes=read_hashes(raw.get("hashes"), notes),
        licenses=cdx_licenses(raw.get("licenses"), notes),
        source=source,
    )


def _walk_bundled(
    raw: Mapping[str, Any], notes: Notes, source: str, depth: int
) -> Iterator[BundledComponent]:
    for child in as_list(raw.get("components")):
        if not isinstance(child, dict):
            notes.skip("components that are not objects")
            continue
        found = _bundled(child, notes, source)
        if found is not None:
            yield found
        if depth < MAX_DEPTH:
            yield from _walk_bundled(child, notes, source, depth + 1)


def _cdx_component(raw: Mapping[str, Any], state: _CdxState, depth: int) -> None:
    notes = state.notes
    state.visited += 1
    if state.visited > MAX_COMPONENTS:
        notes.skip(f"components past the first {MAX_COMPONENTS:,} (nested ones included)")
        return
    purl_text = cut_text(raw.get("purl"), notes)
    purl = parse_purl(purl_text) if purl_text else None
    name = raw.get("name")
    if (
        purl is None
        and not purl_text
        and state.assume_pypi
        and raw.get("type", "library") in ("library", "framework")
        and isinstance(name, str)
        and is_project_name(name)
    ):
        purl = Purl("pypi", name, None)
        state.assumed += 1
    if purl is None or purl.type != "pypi":
        state.other += 1
        for child in as_list(raw.get("components")):
            if isinstance(child, dict) and depth < MAX_DEPTH:
                _cdx_component(child, state, depth + 1)
        return
    display = cut_text(raw.get("name"), notes) or purl.name
    if not is_project_name(purl.name):
        notes.skip("PyPI components whose name is not a valid project name")
        return
    ref = cut_text(raw.get("bom-ref"), notes) or purl_text or purl.name
    if ref in state.seen_refs:
        notes.skip("components with a bom-ref used before")
        return
    state.seen_refs.add(ref)
    version = cut_text(raw.get("version"), notes) or purl.version
    state.pypi.append(
        SbomComponent(
            name=canonicalize_name(purl.name),
            version=version or None,
            ref=ref,
            display_name=display if is_project_name(display) else purl.name,
            purl=purl_text,
            hashes=read_hashes(raw.get("hashes"), notes),
            licenses=cdx_licenses(raw.get("licenses"), notes),
            bundled=tuple(_walk_bundled(raw, notes, state.source, depth + 1)),
        )
    )


def _cdx_graph(doc: Mapping[str, Any], notes: Notes) -> dict[str, tuple[str, ...]]:
    graph: dict[str, set[str]] = {}
    for entry in as_list(doc.get("dependencies")):
        if not isinstance(entry, dict) or not isinstance(entry.get("ref"), str):
            notes.skip("dependency entries without a ref")
            continue
        targets = {t for t in as_list(entry.get("dependsOn")) if isinstance(t, str)}
        graph.setdefault(entry["ref"][:MAX_STRING], set()).update(t[:MAX_STRING] for t in targets)
    return {ref: tuple(sorted(deps)) for ref, deps in graph.items()}


def _cdx_tools(metadata: Mapping[str, Any], notes: Notes) -> tuple[str, ...]:
    tools = metadata.get("tools")
    if isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        entries = as_list(tools.get("components")) + as_list(tools.get("services"))
    else:  # 1.4: a list of {vendor, name, version}
        entries = as_list(tools)
    out: list[str] = []
    for tool in entries:
        if isinstance(tool, dict) and (name := cut_text(tool.get("name"), notes)):
            version = cut_text(tool.get("version"), notes)
            out.append(f"{name} {version}" if version else name)
    return tuple(out)


def _cyclonedx(doc: Mapping[str, Any], source: Path, notes: Notes) -> SbomInventory:
    spec = doc.get("specVersion")
    if spec not in CYCLONEDX_VERSIONS:
        raise InputError(
            f"{source}: CycloneDX specVersion {str(spec)[:40]!r} is not one pipvet reads",
            hint=f"pipvet reads CycloneDX {', '.join(CYCLONEDX_VERSIONS)} JSON",
        )
    state = _CdxState(notes, str(source))
    top = [raw for raw in as_list(doc.get("components")) if isinstance(raw, dict)]
    purls = [parse_purl(p) for raw in top if isinstance(p := raw.get("purl"), str)]
    state.assume_pypi = all(p is not None and p.type == "pypi" for p in purls)
    for raw in as_list(doc.get("components")):
        if isinstance(raw, dict):
            _cdx_component(raw, state, 0)
        else:
            notes.skip("components that are not objects")
    if state.assumed:
        notes.note(
            f"{state.assumed} components name no purl; with no other ecosystem in the "
            "document, they were read as PyPI packages"
        )
    graph = _cdx_graph(doc, notes)
    components = tuple(
        sorted(
            (with_deps(c, graph.get(c.ref, ())) for c in state.pypi),
            key=lambda c: (c.name, c.version or "", c.ref),
        )
    )
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    subject = metadata.get("component")
    return SbomInventory(
        source=source,
        format="cyclonedx",
        spec=f"CycloneDX {spec}",
        components=components,
        tool=_cdx_tools(metadata, notes),
        subject=cut_text(subject.get("name"), notes) if isinstance(subject, dict) else None,
        other=state.other,
        warnings=notes.warnings(source),
    )


# --------------------------------------------------------------------------------- SPDX


def _spdx(doc: Mapping[str, Any], source: Path, notes: Notes) -> SbomInventory:
    spec = doc.get("spdxVersion")
    if spec not in SPDX_VERSIONS:
        raise InputError(
            f"{source}: spdxVersion {str(spec)[:40]!r} is not one pipvet reads",
            hint=f"pipvet reads {' and '.join(SPDX_VERSIONS)} JSON",
        )
    found: list[SbomComponent] = []
    other = 0
    seen: set[str] = set()
    for raw in as_list(doc.get("packages")):
        if not isinstance(raw, dict):
            notes.skip("packages that are not objects")
            continue
        purl_text = spdx_purl(raw, notes)
        purl = parse_purl(purl_text) if purl_text else None
        name_field = cut_text(raw.get("name"), notes) or ""
        if purl is None and name_field.startswith("pypi:"):  # GitHub's spelling
            purl = Purl("pypi", name_field[5:], None)
        if purl is None or purl.type != "pypi":
            other += 1
            continue
        if not is_project_name(purl.name):
            notes.skip("PyPI packages whose name is not a valid project name")
            continue
        ref = cut_text(raw.get("SPDXID"), notes) or purl_text or purl.name
        if ref in seen:
            notes.skip("packages with an SPDXID used before")
            continue
        seen.add(ref)
        display = name_field.removeprefix("pypi:")
        version = cut_text(raw.get("versionInfo"), notes) or purl.version
        found.append(
            SbomComponent(
                name=canonicalize_name(purl.name),
                version=version or None,
                ref=ref,
                display_name=display if is_project_name(display) else purl.name,
                purl=purl_text,
                hashes=read_hashes(raw.get("checksums"), notes),
                licenses=spdx_license(raw, notes),
            )
        )
    graph: dict[str, set[str]] = {}
    for rel in as_list(doc.get("relationships")):
        if not isinstance(rel, dict):
            notes.skip("relationships that are not objects")
            continue
        a, b = rel.get("spdxElementId"), rel.get("relatedSpdxElement")
        kind = rel.get("relationshipType")
        if not (isinstance(a, str) and isinstance(b, str)):
            continue
        if kind == "DEPENDS_ON":
            graph.setdefault(a, set()).add(b)
        elif kind == "DEPENDENCY_OF":
            graph.setdefault(b, set()).add(a)
    creation = doc.get("creationInfo")
    creators = as_list(creation.get("creators")) if isinstance(creation, dict) else []
    tools = tuple(
        t[:MAX_STRING].removeprefix("Tool:").strip()
        for t in creators
        if isinstance(t, str) and t.startswith("Tool:")
    )
    return SbomInventory(
        source=source,
        format="spdx",
        spec=str(spec),
        components=tuple(
            sorted(
                (with_deps(c, tuple(sorted(graph.get(c.ref, ())))) for c in found),
                key=lambda c: (c.name, c.version or "", c.ref),
            )
        ),
        tool=tools,
        subject=cut_text(doc.get("name"), notes),
        other=other,
        warnings=notes.warnings(source),
    )


# ------------------------------------------------------------------------------- entry


def sbom_format(doc: object) -> SbomFormat | None:
    """Which format a JSON value is (after unwrapping GitHub's ``{"sbom": ...}``), if any."""
    if isinstance(doc, dict) and isinstance(doc.get("sbom"), dict):
        doc = doc["sbom"]
    if not isinstance(doc, dict):
        return None
    if doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if "spdxVersion" in doc:
        return "spdx"
    return None


def parse_sbom(doc: object, source: Path) -> SbomInventory:
    """The PyPI components of an SBOM's JSON value. InputError naming ``source`` when it is
    neither CycloneDX nor SPDX JSON, or a version of either that pipvet does not read."""
    if isinstance(doc, dict) and isinstance(doc.get("sbom"), dict):
        doc = doc["sbom"]  # the GitHub dependency-graph export
    notes = Notes()
    match sbom_format(doc):
        case "cyclonedx":
            assert isinstance(doc, dict)
            return _cyclonedx(doc, source, notes)
        case "spdx":
            assert isinstance(doc, dict)
            return _spdx(doc, source, notes)
    raise InputError(
        f"{source} is not a CycloneDX or SPDX JSON document "
        '(no "bomFormat": "CycloneDX" and no "spdxVersion")',
        hint="pass an SBOM in CycloneDX 1.3-1.6 JSON or SPDX 2.2/2.3 JSON; XML and "
        "tag-value files are not read",
    )


def parse_bundled(doc: object, source: str) -> tuple[tuple[BundledComponent, ...], tuple[str, ...]]:
    """Every component a PEP 770 SBOM inside a wheel declares (any ecosystem), for listing
    under that wheel; and warnings. Unknown documents give nothing and one warning."""
    notes = Notes()
    out: list[BundledComponent] = []
    match sbom_format(doc):
        case "cyclonedx":
            assert isinstance(doc, dict)
            for raw in as_list(doc.get("components")):
                if isinstance(raw, dict) and (found := _bundled(raw, notes, source)):
                    out.append(found)
                    out.extend(_walk_bundled(raw, notes, source, 1))
        case "spdx":
            assert isinstance(doc, dict)
            for raw in as_list(doc.get("packages")):
                if not isinstance(raw, dict) or not (name := cut_text(raw.get("name"), notes)):
                    continue
                out.append(
                    BundledComponent(
                        name=name,
                        version=cut_text(raw.get("versionInfo"), notes),
                        purl=spdx_purl(raw, notes),
                        hashes=read_hashes(raw.get("checksums"), notes),
                        licenses=spdx_license(raw, notes),
                        source=source,
                    )
                )
        case None:
            return (), (f"{source} is not a CycloneDX or SPDX JSON document; not listed",)
    return tuple(out), notes.warnings(Path(source))
