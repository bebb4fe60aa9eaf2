"""SBOM values: what an SBOM says is installed (read back from any tool's SBOM), and the
document pipvet writes. Pure: no I/O imports.

The inventory is the contract with ``pipvet fleet --from-sboms``: ``read.read_sbom(path)``
returns an ``SbomInventory`` whose ``components`` are the PyPI packages the SBOM lists
(name canonicalised per PEP 503, version as written) and whose ``dependencies()`` are
ready for the audit matcher.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipvet.frozen import field, frozen
from pipvet.models import AuditReport, Dependency, Location, NormalizedName

__all__ = [
    "BomDocument",
    "BundledComponent",
    "PackageFacts",
    "SbomComponent",
    "SbomFormat",
    "SbomHash",
    "SbomInventory",
    "SpecVersion",
]

SbomFormat = Literal["cyclonedx", "spdx"]
# The CycloneDX versions pipvet writes (pipvet.report.formats.CYCLONEDX_VERSIONS, which
# `pipvet sbom --spec` offers, lists the same: tests/test_sbom_cli.py).
SpecVersion = Literal["1.5", "1.6"]


@frozen(order=True)
class SbomHash:
    """One hash as the SBOM states it; ``alg`` in CycloneDX spelling (``SHA-256``)."""

    alg: str
    value: str  # lower-case hex


@frozen
class BundledComponent:
    """Something a package carries inside itself (a native library a wheel vendors, as its
    PEP 770 ``dist-info/sboms`` document declares it). Not a PyPI package: listed, not audited."""

    name: str
    version: str | None = None
    purl: str | None = None
    type: str = "library"  # CycloneDX component type
    hashes: tuple[SbomHash, ...] = ()
    licenses: tuple[str, ...] = ()
    source: str = ""  # the SBOM file inside the dist-info it came from


@frozen
class SbomComponent:
    """One PyPI package an SBOM lists.

    ``ref`` is the component's identifier inside its document (CycloneDX ``bom-ref``, SPDX
    ``SPDXID``); ``depends_on`` holds the refs of the components it depends on, sorted.
    ``version`` is ``None`` when the SBOM gives none: such a component is unchecked.
    """

    name: NormalizedName
    version: str | None
    ref: str
    display_name: str = ""
    purl: str | None = None
    hashes: tuple[SbomHash, ...] = ()
    licenses: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    bundled: tuple[BundledComponent, ...] = ()

    @property
    def label(self) -> str:
        return self.display_name or self.name


@frozen
class SbomInventory:
    """Everything read from one SBOM file.

    ``spec`` names the format and version as the file declares it (``CycloneDX 1.6``,
    ``SPDX-2.3``); ``tool`` the tools the file says made it; ``subject`` what the SBOM
    describes (CycloneDX ``metadata.component``, SPDX ``name``), when it says. ``other``
    counts components that are not PyPI packages (npm, OS packages, files): they are not
    audited by pipvet, and a report should say so. ``warnings`` are plain-language notes
    (unreadable entries skipped, strings cut).
    """

    source: Path
    format: SbomFormat
    spec: str
    components: tuple[SbomComponent, ...]
    tool: tuple[str, ...] = ()
    subject: str | None = None
    other: int = 0
    warnings: tuple[str, ...] = field(default=())

    def by_ref(self) -> dict[str, SbomComponent]:
        return {c.ref: c for c in self.components}

    def names_and_versions(self) -> frozenset[tuple[NormalizedName, str | None]]:
        return frozenset((c.name, c.version) for c in self.components)

    def dependencies(self) -> tuple[Dependency, ...]:
        """The components as audit inputs; one without a version is skipped (unchecked)."""
        where = Location(str(self.source))
        return tuple(
            Dependency(
                name=c.name,
                version=c.version,
                display_name=c.display_name,
                location=where,
                skipped=None if c.version else f"the SBOM {self.source} gives no version",
            )
            for c in self.components
        )


# ------------------------------------------------------------------- what pipvet writes


@frozen
class PackageFacts:
    """One package as pipvet writes it: the component, and how to state its licence.

    ``license_expression`` is the PEP 639 ``License-Expression`` (an SPDX expression), when
    the metadata has one; otherwise ``component.licenses`` are free-text names (the
    ``License`` header's first line, or the licence classifiers). ``properties`` are extra
    ``pipvet:*`` facts (what a hash is of, a local build, why it is unchecked).
    """

    component: SbomComponent
    license_expression: str | None = None
    properties: tuple[tuple[str, str], ...] = ()


@frozen
class BomDocument:
    """Everything a writer needs, so that rendering is a pure function of it.

    ``report`` is the audit of exactly these packages (``None`` when the SBOM is written
    without vulnerabilities, or as SPDX). ``timestamp`` is ISO 8601 UTC from the injected
    clock; ``serial`` a ``urn:uuid:`` given by the user, or ``None`` to derive one from the
    content, so the same input gives the same document.
    """

    packages: tuple[PackageFacts, ...]
    target: str
    tool_version: str
    timestamp: str
    report: AuditReport | None = None
    serial: str | None = None
