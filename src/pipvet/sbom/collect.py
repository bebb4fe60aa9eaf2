"""What an SBOM says about each installed package, read from its metadata folder: licences,
the dependency graph (Requires-Dist, evaluated against the target interpreter's markers),
a hash of the RECORD file, and the components a PEP 770 ``dist-info/sboms`` document
declares. For ``-r`` files (requirements, lock files, notebooks, ``environment.yml``, read by
the one ``-r`` reader), the ``--hash`` values they pin.

An I/O edge: it reads metadata files (size-capped, regular files only) and asks the target
interpreter once for its marker values. The dependencies themselves come from
``audit.run.collect``, so the SBOM lists exactly what the audit checked.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from pipvet.audit.run import Collected, Inputs
from pipvet.errors import PipvetError
from pipvet.frozen import frozen
from pipvet.models import Dependency, NormalizedName, canonicalize_name
from pipvet.sbom.model import BundledComponent, PackageFacts, SbomComponent, SbomHash
from pipvet.sbom.parse import parse_bundled
from pipvet.system.files import MAX_METADATA_BYTES, FileProblem, read_bytes_capped
from pipvet.system.process import Runner

__all__ = ["PEP770_MAX_BYTES", "collect_packages", "marker_environment", "purl_for"]

PEP770_MAX_BYTES = 10 * 1024 * 1024  # one SBOM file inside a wheel
PEP770_MAX_FILES = 50
_MAX_LICENSE = 200  # characters of a free-text License header kept

# The values packaging.markers.default_environment() computes, asked of the target itself.
_PROBE = r"""
import json, os, platform, sys
i = sys.implementation; v = i.version
iv = "%d.%d.%d" % (v.major, v.minor, v.micro)
if v.releaselevel != "final": iv += v.releaselevel[0] + str(v.serial)
print(json.dumps({"implementation_name": i.name, "implementation_version": iv,
 "os_name": os.name, "platform_machine": platform.machine(),
 "platform_release": platform.release(), "platform_system": platform.system(),
 "platform_version": platform.version(), "python_full_version": platform.python_version(),
 "platform_python_implementation": platform.python_implementation(),
 "python_version": ".".join(platform.python_version_tuple()[:2]),
 "sys_platform": sys.platform}))
"""


def purl_for(name: NormalizedName, version: str | None) -> str:
    """``pkg:pypi/NAME@VERSION`` (PEP 503 name; ``+`` of a local version, and anything else
    but letters, digits and ``.-_~``, percent-encoded as UTF-8 bytes, as the purl spec says:
    two versions never share a purl, which is each component's ``bom-ref``)."""
    if not version:
        return f"pkg:pypi/{name}"
    from urllib.parse import quote

    return f"pkg:pypi/{name}@{quote(version.encode('utf-8', 'surrogatepass'), safe='')}"


def marker_environment(python: Path, runner: Runner) -> dict[str, str] | None:
    """The target interpreter's marker values (``-S -E``: its ``.pth`` files do not run),
    or ``None`` when it cannot say."""
    try:
        proc = runner([str(python), "-I", "-S", "-c", _PROBE], timeout=60.0)  # -I: see interpreter
        data = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    except (PipvetError, OSError, ValueError, IndexError):
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {str(k): str(v) for k, v in data.items()}


def target_python(inputs: Inputs, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The interpreter ``audit.run.collect`` reads for these inputs, if any."""
    import sys

    from pipvet.inputs import interpreter

    if inputs.venv is not None:
        return interpreter.venv_python(inputs.venv)
    if inputs.python is not None:
        return inputs.python
    if not inputs.requirement_files and not inputs.paths:
        return interpreter.discover_target(environ, cwd, Path(sys.executable)).python
    return None


@frozen
class _Metadata:
    folder: Path
    requires: tuple[str, ...]
    expression: str | None
    licenses: tuple[str, ...]
    record_sha256: str | None
    bundled: tuple[BundledComponent, ...]


def _metadata_file(folder: Path) -> Path | None:
    if folder.name.endswith(".dist-info"):
        return folder / "METADATA"
    if folder.name.endswith(".egg-info"):
        return folder / "PKG-INFO" if folder.is_dir() else folder
    return None


def _licenses(headers: email.message.Message) -> tuple[str | None, tuple[str, ...]]:
    expression = (headers.get("License-Expression") or "").strip()
    if expression:
        return expression[:_MAX_LICENSE], ()
    text = (headers.get("License") or "").strip()
    first = text.splitlines()[0].strip() if text else ""
    if first and first.upper() not in ("UNKNOWN", "NONE"):
        return None, (first[:_MAX_LICENSE],)
    found = [
        c.rsplit("::", 1)[-1].strip()
        for c in headers.get_all("Classifier") or []
        if c.startswith("License ::") and c.count("::") >= 2
    ]
    return None, tuple(sorted(set(found)))


def _bundled(folder: Path, warnings: list[str]) -> tuple[BundledComponent, ...]:
    """The components the PEP 770 SBOMs in ``folder/sboms`` declare. A file that is too big,
    not a regular file or not JSON is a warning, never a failure."""
    sboms = folder / "sboms"
    try:
        names = sorted(os.listdir(sboms))
    except OSError:  # no sboms folder: the common case
        return ()
    if len(names) > PEP770_MAX_FILES:
        warnings.append(f"{sboms}: {len(names)} files; only the first {PEP770_MAX_FILES} read")
    found: list[BundledComponent] = []
    for name in names[:PEP770_MAX_FILES]:
        path = sboms / name
        try:
            doc = json.loads(read_bytes_capped(path, cap=PEP770_MAX_BYTES))
        except FileProblem as exc:
            warnings.append(f"the wheel SBOM {path} was not read: {exc.reason}")
            continue
        except (ValueError, RecursionError):
            warnings.append(
                f"the wheel SBOM {path} is not valid JSON; its components are not listed"
            )
            continue
        components, notes = parse_bundled(doc, f"{folder.name}/sboms/{name}")
        found.extend(components)
        warnings.extend(notes)
    return tuple(found)


def _read_metadata(folder: Path, warnings: list[str]) -> _Metadata | None:
    path = _metadata_file(folder)
    if path is None:
        return None
    try:
        data = read_bytes_capped(path, cap=MAX_METADATA_BYTES)
    except FileProblem:
        return None  # the audit already reported a broken metadata folder
    headers = email.parser.BytesHeaderParser().parsebytes(data)
    expression, licenses = _licenses(headers)
    record: str | None = None
    if folder.name.endswith(".dist-info"):
        try:
            record = hashlib.sha256(
                read_bytes_capped(folder / "RECORD", cap=MAX_METADATA_BYTES)
            ).hexdigest()
        except FileProblem:
            record = None
    return _Metadata(
        folder=folder,
        requires=tuple(str(r) for r in headers.get_all("Requires-Dist") or []),
        expression=expression,
        licenses=licenses,
        record_sha256=record,
        bundled=_bundled(folder, warnings) if folder.is_dir() else (),
    )


def _edges(
    requires: Sequence[str],
    installed: Mapping[NormalizedName, str],
    markers: Mapping[str, str] | None,
    own: str,
) -> tuple[str, ...]:
    """The refs of installed packages that these Requires-Dist lines pull in (no extras)."""
    out: set[str] = set()
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        ref = installed.get(canonicalize_name(req.name))
        if ref is None or ref == own:
            continue
        if req.marker is not None:
            if markers is None:  # the target's markers are unknown: only extras are left out
                if "extra" in str(req.marker):
                    continue
            else:
                try:
                    if not req.marker.evaluate({**markers, "extra": ""}):
                        continue
                except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                    continue
        out.add(ref)
    return tuple(sorted(out))


def _requirement_hashes(
    files: Sequence[Path], environ: Mapping[str, str]
) -> dict[tuple[NormalizedName, str], tuple[SbomHash, ...]]:
    from pipvet.inputs import requirements

    out: dict[tuple[NormalizedName, str], tuple[SbomHash, ...]] = {}
    for path in files:
        # the reader the audit used (lock files, notebooks, environment.yml too), so a file
        # the audit read is never read here as a pip requirements file
        if requirements.declared_kind(path) == "pyproject":
            continue
        for entry in requirements.parse_declared(path, environ=environ).entries:
            if not (entry.name and entry.pinned_version and entry.hashes):
                continue
            found: set[SbomHash] = set()
            for text in entry.hashes:
                alg, _, value = text.partition(":")
                alg = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}.get(alg, "")
                if alg and value:
                    found.add(SbomHash(alg, value.lower()))
            out[(entry.name, entry.pinned_version)] = tuple(sorted(found))
    return out


def collect_packages(
    collected: Collected,
    inputs: Inputs,
    *,
    environ: Mapping[str, str],
    cwd: Path,
    runner: Runner,
) -> tuple[tuple[PackageFacts, ...], tuple[str, ...]]:
    """One ``PackageFacts`` per distinct (name, version) the audit collected, sorted by
    name and version; and warnings (wheel SBOMs that could not be read...)."""
    warnings: list[str] = []
    python = target_python(inputs, environ, cwd)
    markers = marker_environment(python, runner) if python is not None else None
    if python is not None and markers is None:
        warnings.append(
            f"{python} did not report its marker values: the dependency graph includes every "
            "installed requirement whose marker is not about extras"
        )
    hashes = _requirement_hashes(inputs.requirement_files, environ)
    chosen: dict[str, tuple[Dependency, _Metadata | None]] = {}
    for dep in collected.dependencies:
        ref = purl_for(dep.name, dep.version)
        if ref in chosen:
            continue
        folder = Path(dep.location.path) if dep.location and dep.location.line is None else None
        meta = _read_metadata(folder, warnings) if folder is not None else None
        chosen[ref] = (dep, meta)
    installed: dict[NormalizedName, str] = {}
    for ref, (dep, meta) in sorted(chosen.items()):
        if meta is not None:
            installed.setdefault(dep.name, ref)
    out: list[PackageFacts] = []
    for ref, (dep, meta) in chosen.items():
        props: list[tuple[str, str]] = []
        found = hashes.get((dep.name, dep.version or ""), ())
        if meta is not None and meta.record_sha256:
            found = (SbomHash("SHA-256", meta.record_sha256),)
            props.append(("pipvet:hash-of", "the installed dist-info RECORD file"))
        if dep.local_build:
            props.append(("pipvet:local-build", dep.local_build))
        if dep.skipped:
            props.append(("pipvet:unchecked", dep.skipped))
        component = SbomComponent(
            name=dep.name,
            version=dep.version,
            ref=ref,
            display_name=dep.display_name or dep.name,
            purl=ref,
            hashes=found,
            licenses=meta.licenses if meta else (),
            depends_on=_edges(meta.requires, installed, markers, ref) if meta else (),
            bundled=meta.bundled if meta else (),
        )
        out.append(PackageFacts(component, meta.expression if meta else None, tuple(props)))
    out.sort(key=lambda p: (p.component.name, p.component.version or "", p.component.ref))
    return tuple(out), tuple(warnings)
