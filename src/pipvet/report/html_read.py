"""Reading the JSON documents pipvet's commands write into the report's values.

A document that is not the JSON of audit, doctor, exposure, vet or fleet (or is one with a
field of the wrong type) is an ``InputError`` naming the file and the field. Strings are cut
to a length a page can carry; lists stay whole here and are capped where they are drawn.
Exposure documents are read for names and places only.

Pure: no I/O; imports only ``pipvet.errors`` and ``report.html_model``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pipvet.errors import InputError
from pipvet.report.html_charts import HARM_COLOR
from pipvet.report.html_model import (
    SEVERITIES,
    AuditDep,
    AuditFinding,
    AuditPart,
    DoctorCheck,
    DoctorPart,
    ExposureItem,
    ExposurePart,
    FleetDrift,
    FleetPart,
    FleetVuln,
    Part,
    PartKind,
    VetPackage,
    VetPart,
    VetSignal,
)
from pipvet.vetting.model import VET_VERDICTS

__all__ = ["detect_kind", "read_part"]

_TEXT_MAX = 2048  # one string on the page; the JSON keeps the whole text


class _Bad(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _cut(text: str) -> str:
    return text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(where, f"expected an object, found {type(value).__name__}")
    return value


def _list(doc: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    value = doc.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Bad(f"{where}.{key}", f"expected a list, found {type(value).__name__}")
    return value


def _str(doc: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    value = doc.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Bad(f"{where}.{key}", f"expected a string, found {type(value).__name__}")
    return _cut(str(value))


def _opt(doc: Mapping[str, Any], key: str, where: str) -> str | None:
    return _str(doc, key, where) if doc.get(key) is not None else None


def _strs(doc: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    out = []
    for i, item in enumerate(_list(doc, key, where)):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise _Bad(f"{where}.{key}[{i}]", "expected a string")
        out.append(_cut(str(item)))
    return tuple(out)


def _bool(doc: Mapping[str, Any], key: str, where: str) -> bool:
    value = doc.get(key, False)
    if not isinstance(value, bool) and value is not None:
        raise _Bad(f"{where}.{key}", "expected true or false")
    return bool(value)


def _int(doc: Mapping[str, Any], key: str, where: str) -> int:
    value = doc.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"{where}.{key}", "expected a number")
    if isinstance(value, float) and not math.isfinite(value):  # json reads NaN, Infinity
        raise _Bad(f"{where}.{key}", f"expected a number, found {value}")
    return int(value)


def _word(doc: Mapping[str, Any], key: str, where: str, allowed: Collection[str]) -> str:
    """A value the page turns into a CSS class: one of ``allowed``; anything else is refused
    like a value of the wrong type, so a file cannot add a class of its choosing."""
    value = _str(doc, key, where)
    if value not in allowed:
        raise _Bad(f"{where}.{key}", f"expected one of {', '.join(sorted(allowed))}")
    return value


def _items(doc: Mapping[str, Any], key: str, where: str) -> list[tuple[Mapping[str, Any], str]]:
    return [
        (_obj(item, f"{where}.{key}[{i}]"), f"{where}.{key}[{i}]")
        for i, item in enumerate(_list(doc, key, where))
    ]


def detect_kind(doc: Mapping[str, Any]) -> PartKind | None:
    """Which command wrote ``doc``, from the keys its JSON contract always has."""
    if "advisory_db" in doc and "dependencies" in doc:
        return "audit"
    if "checks" in doc and "project" in doc:
        return "doctor"
    if "exposures" in doc and "checked" in doc:
        return "exposure"
    if "packages" in doc and "resolver" in doc:
        return "vet"
    if "drift" in doc and "origin" in doc:
        return "fleet"
    return None


def read_part(doc: object, origin: str) -> Part:
    """The part ``doc`` holds; InputError naming ``origin`` and the field when it is not the
    JSON of audit, doctor, exposure, vet or fleet."""
    try:
        top = _obj(doc, "the document")
        kind = detect_kind(top)
        if kind is None:
            raise InputError(
                f"{origin}: not a JSON report of pipvet audit, doctor, exposure, vet or fleet",
                hint="save one with e.g. 'pipvet audit --format json -o audit.json'",
            )
        match kind:
            case "audit":
                return _audit(top)
            case "doctor":
                return _doctor(top)
            case "exposure":
                return _exposure(top)
            case "vet":
                return _vet(top)
            case "fleet":
                return _fleet(top)
    except _Bad as exc:
        raise InputError(
            f"{origin}: not a valid pipvet JSON report ({exc})",
            hint="pass the file exactly as pipvet wrote it with --format json",
        ) from None


def _severity(doc: Mapping[str, Any], where: str) -> tuple[str, float | None]:
    sev = doc.get("severity")
    if sev is None:
        return "unknown", None
    sev = _obj(sev, f"{where}.severity")
    label = _str(sev, "label", f"{where}.severity", "unknown").lower()
    score = sev.get("score")
    if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
        score = None
    return (label if label in SEVERITIES else "unknown"), score


def _finding(doc: Mapping[str, Any], where: str) -> AuditFinding:
    label, score = _severity(doc, where)
    return AuditFinding(
        id=_str(doc, "id", where),
        aliases=_strs(doc, "aliases", where),
        kind="malware" if _str(doc, "kind", where) == "malware" else "vulnerability",
        severity=label,
        score=score,
        summary=_str(doc, "summary", where),
        fixed_in=_strs(doc, "fixed_in", where),
        ignored=_bool(doc, "ignored", where),
        fails=_bool(doc, "fails", where),
    )


def _audit(doc: Mapping[str, Any]) -> AuditPart:
    db = _obj(doc.get("advisory_db") or {}, "advisory_db")
    verdict = _obj(doc.get("verdict") or {}, "verdict")
    deps = []
    for dep, where in _items(doc, "dependencies", "dependencies"):
        deps.append(
            AuditDep(
                name=_str(dep, "name", where),
                version=_opt(dep, "version", where),
                skipped=_opt(dep, "skipped", where),
                fix_requirement=_opt(dep, "fix_requirement", where),
                findings=tuple(_finding(f, w) for f, w in _items(dep, "findings", where)),
                local_build=_opt(dep, "local_build", where),
                local=_bool(dep, "local", where),
            )
        )
    return AuditPart(
        target=_str(doc, "target", "target"),
        advisory_source=_str(db, "source", "advisory_db"),
        newest_modified=_opt(db, "newest_modified", "advisory_db"),
        stale_text=_opt(db, "stale_text", "advisory_db"),
        fail_on=_str(doc, "fail_on", "fail_on"),
        verdict_status=_word(verdict, "status", "verdict", ("fail", "incomplete", "pass")),
        verdict_text=_str(verdict, "text", "verdict"),
        deps=tuple(deps),
        warnings=_strs(doc, "warnings", "the document"),
    )


def _doctor(doc: Mapping[str, Any]) -> DoctorPart:
    checks = []
    for c, where in _items(doc, "checks", "the document"):
        status = _str(c, "status", where)
        if status not in ("pass", "warn", "fail"):
            raise _Bad(f"{where}.status", f"expected pass, warn or fail, found {status!r}")
        checks.append(
            DoctorCheck(
                id=_str(c, "id", where),
                title=_str(c, "title", where),
                status=status,
                summary=_str(c, "summary", where),
                evidence=_strs(c, "evidence", where),
                fix=_opt(c, "fix", where),
            )
        )
    return DoctorPart(project=_str(doc, "project", "the document"), checks=tuple(checks))


def _exposure(doc: Mapping[str, Any]) -> ExposurePart:
    items = []
    for e, where in _items(doc, "exposures", "the document"):
        # Only the fields that hold names and places are read: never a value.
        items.append(
            ExposureItem(
                kind=_str(e, "kind", where),
                what=_str(e, "what", where),
                location=_str(e, "location", where),
                names=_strs(e, "names", where),
                harm=_word(e, "harm", where, HARM_COLOR),
                harm_rank=_int(e, "harm_rank", where),
                lifetime=_str(e, "lifetime", where),
                protected=_bool(e, "protected", where),
                advice=_str(e, "advice", where),
            )
        )
    return ExposurePart(
        home=_str(doc, "home", "the document"),
        project=_str(doc, "project", "the document"),
        items=tuple(items),
        unreadable=len(_list(doc, "unreadable", "the document")),
        checked=len(_list(doc, "checked", "the document")),
    )


def _vet(doc: Mapping[str, Any]) -> VetPart:
    packages = []
    for p, where in _items(doc, "packages", "the document"):
        signals = tuple(
            VetSignal(_str(s, "id", w), _str(s, "level", w), _str(s, "message", w))
            for s, w in _items(p, "signals", where)
        )
        packages.append(
            VetPackage(
                name=_str(p, "name", where),
                version=_opt(p, "version", where),
                verdict=_word(p, "verdict", where, VET_VERDICTS),
                did_you_mean=_opt(p, "did_you_mean", where),
                signals=signals,
                new_dependencies=len(_list(p, "new_dependencies", where)),
                problem=_opt(p, "problem", where),
            )
        )
    return VetPart(
        target=_str(doc, "target", "the document"),
        packages=tuple(packages),
        warnings=_strs(doc, "warnings", "the document"),
    )


def _fleet(doc: Mapping[str, Any]) -> FleetPart:
    drift = []
    for d, where in _items(doc, "drift", "the document"):
        versions = tuple(
            (_str(v, "label", w), _strs(v, "projects", w), _bool(v, "vulnerable", w))
            for v, w in _items(d, "versions", where)
        )
        drift.append(
            FleetDrift(
                name=_str(d, "name", where),
                versions=versions,
                below_floor=_bool(d, "below_floor", where),
                security_floor=_opt(d, "security_floor", where),
            )
        )
    vulns = []
    for v, where in _items(doc, "vulnerabilities", "the document"):
        fixes = tuple(
            (_opt(f, "requirement", w), len(_strs(f, "projects", w)))
            for f, w in _items(v, "fixes", where)
        )
        severity = _str(v, "severity", where, "unknown").lower()
        vulns.append(
            FleetVuln(
                id=_str(v, "id", where),
                name=_str(v, "name", where),
                kind=_str(v, "kind", where),
                severity=severity if severity in SEVERITIES else "unknown",
                summary=_str(v, "summary", where),
                versions=_strs(v, "versions", where),
                projects=_strs(v, "projects", where),
                fixes=fixes,
                fails=_bool(v, "fails", where),
            )
        )
    summary = _obj(doc.get("summary") or {}, "summary")
    return FleetPart(
        origin=_str(doc, "origin", "the document"),
        projects=tuple(_str(p, "path", w) for p, w in _items(doc, "projects", "the document")),
        distributions=_int(summary, "distributions", "summary"),
        drift=tuple(drift),
        vulnerabilities=tuple(vulns),
        used_once=len(_list(doc, "used_once", "the document")),
        undeclared=len(_list(doc, "undeclared", "the document")),
    )
