"""The careful readers an SBOM parser is built from: strings cut to a length, lists capped,
hashes and licences checked for shape, purls taken apart. Pure.

Each reader takes a ``Notes`` and records there what it cut or skipped, so the inventory can
say so once instead of failing on a stranger's file.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipvet.frozen import frozen
from pipvet.sbom.model import SbomComponent, SbomHash

__all__ = [
    "MAX_COMPONENTS",
    "MAX_DEPTH",
    "MAX_STRING",
    "Notes",
    "Purl",
    "as_list",
    "cdx_licenses",
    "cut_text",
    "parse_purl",
    "read_hashes",
    "spdx_license",
    "spdx_purl",
    "unquote",
    "with_deps",
]

MAX_STRING = 1000  # characters kept of any string
MAX_COMPONENTS = 200_000  # components (and dependency edges per component) read
MAX_DEPTH = 32  # nested components


_HEX = re.compile(r"[0-9a-fA-F]{8,256}")
# SPDX checksum algorithms -> CycloneDX spelling
_ALGS = {
    "MD5": "MD5",
    "SHA1": "SHA-1",
    "SHA256": "SHA-256",
    "SHA384": "SHA-384",
    "SHA512": "SHA-512",
    "SHA3-256": "SHA3-256",
    "SHA3-384": "SHA3-384",
    "SHA3-512": "SHA3-512",
    "BLAKE2B-256": "BLAKE2b-256",
    "BLAKE2B-384": "BLAKE2b-384",
    "BLAKE2B-512": "BLAKE2b-512",
    "BLAKE3": "BLAKE3",
}


@dataclasses.dataclass
class Notes:
    """What was cut or skipped while reading, reported once per kind."""

    cut: int = 0
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)

    notes: list[str] = dataclasses.field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1

    def warnings(self, source: Path) -> tuple[str, ...]:
        out = [f"{source}: {text}" for text in self.notes]
        out += [f"{source}: skipped {n} {what}" for what, n in sorted(self.skipped.items())]
        if self.cut:
            out.append(f"{source}: {self.cut} overlong strings were cut to {MAX_STRING} characters")
        return tuple(out)


def cut_text(value: object, notes: Notes) -> str | None:
    if not isinstance(value, str):
        return None
    if len(value) > MAX_STRING:
        notes.cut += 1
        return value[:MAX_STRING]
    return value


def as_list(value: object) -> list[Any]:
    return value[:MAX_COMPONENTS] if isinstance(value, list) else []


def unquote(text: str) -> str:
    """Percent-decoding as purls use it (UTF-8); no urllib in a pure module."""
    if "%" not in text:
        return text
    data = re.sub(
        rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8")
    )
    return data.decode("utf-8", errors="replace")


@frozen
class Purl:
    type: str
    name: str
    version: str | None


# A fleet's SBOMs repeat the same few thousand purls hundreds of times each.
@functools.lru_cache(maxsize=1 << 16)
def parse_purl(text: str) -> Purl | None:
    """``pkg:TYPE/[NAMESPACE/]NAME[@VERSION][?QUALIFIERS][#SUBPATH]``, or ``None``."""
    if not text.startswith("pkg:"):
        return None
    rest = text[4:].split("#", 1)[0].split("?", 1)[0].lstrip("/")
    kind, sep, path = rest.partition("/")
    if not sep or not kind:
        return None
    path, at, version = path.rpartition("@") if "@" in path else (path, "", "")
    name = unquote(path.rsplit("/", 1)[-1])
    return Purl(kind.lower(), name, unquote(version) if at and version else None)


def read_hashes(entries: object, notes: Notes) -> tuple[SbomHash, ...]:
    out: set[SbomHash] = set()
    for h in as_list(entries):
        if not isinstance(h, dict):
            notes.skip("hashes that are not objects")
            continue
        alg = h.get("alg", h.get("algorithm"))
        value = h.get("content", h.get("checksumValue"))
        if not isinstance(alg, str) or not isinstance(value, str) or not _HEX.fullmatch(value):
            notes.skip("hashes without an algorithm and a hex value")
            continue
        out.add(SbomHash(_ALGS.get(alg.upper(), alg[:20]), value.lower()))
    return tuple(sorted(out))


def cdx_licenses(entries: object, notes: Notes) -> tuple[str, ...]:
    out: list[str] = []
    for item in as_list(entries):
        if not isinstance(item, dict):
            continue
        expression = cut_text(item.get("expression"), notes)
        lic = item.get("license")
        if expression:
            out.append(expression)
        elif isinstance(lic, dict):
            shown = cut_text(lic.get("id"), notes) or cut_text(lic.get("name"), notes)
            if shown:
                out.append(shown)
    return tuple(out)


def spdx_purl(raw: Mapping[str, Any], notes: Notes) -> str | None:
    for ref in as_list(raw.get("externalRefs")):
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            return cut_text(ref.get("referenceLocator"), notes)
    return None


def spdx_license(raw: Mapping[str, Any], notes: Notes) -> tuple[str, ...]:
    for key in ("licenseDeclared", "licenseConcluded"):
        value = cut_text(raw.get(key), notes)
        if value and value not in ("NOASSERTION", "NONE"):
            return (value,)
    return ()


def with_deps(component: SbomComponent, deps: tuple[str, ...]) -> SbomComponent:
    if not deps:
        return component
    return SbomComponent(
        name=component.name,
        version=component.version,
        ref=component.ref,
        display_name=component.display_name,
        purl=component.purl,
        hashes=component.hashes,
        licenses=component.licenses,
        depends_on=deps,
        bundled=component.bundled,
    )
