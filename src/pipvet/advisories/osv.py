"""Parse one OSV record (https://ossf.github.io/osv-schema/) into an ``Advisory``.

Pure: a dict (or JSON text) in, a frozen ``Advisory`` out. Only what pipvet uses is kept, and
only ``affected`` entries of the ``PyPI`` ecosystem. Fields the schema defines are type-checked;
a record that breaks them raises ``MalformedRecord`` naming the record id and the field, so the
caller can skip and count it. Free-form blocks (``database_specific``, ``ecosystem_specific``)
are read opportunistically and never make a record malformed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipvet.errors import DataError
from pipvet.models import (
    Advisory,
    Affected,
    AffectedRange,
    RangeEvent,
    RangeEventKind,
    canonicalize_name,
)

__all__ = ["PYPI", "MalformedRecord", "is_malicious", "parse_advisory", "parse_advisory_json"]

PYPI = "PyPI"
_PYPI_FOLDED = PYPI.casefold()

# Order in which the keys of one event object become events. The schema allows one key per
# event; a record that packs two ("introduced" and "fixed") still has an obvious meaning, so we
# split it instead of dropping the whole advisory (dropping would hide a vulnerability).
_EVENT_KINDS: tuple[RangeEventKind, ...] = ("introduced", "fixed", "last_affected", "limit")

# CWE-506 is "Embedded Malicious Code": databases that classify a report this way describe a
# deliberately poisoned release, not a defect.
_MALWARE_CWE = "CWE-506"


class MalformedRecord(DataError):
    """An OSV record that breaks the schema in a field pipvet needs."""


class _Reader:
    """Type-checked field access that names the record id and field path in errors."""

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id

    def fail(self, field: str, problem: str) -> MalformedRecord:
        return MalformedRecord(
            f"OSV record {self.record_id}: field '{field}' {problem}",
            hint="the record is skipped; report it to the database that published it",
        )

    def string(self, obj: Mapping[str, object], key: str, field: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(field, f"must be a string, got {_type_name(value)}")
        return value

    def mapping(self, obj: Mapping[str, object], key: str, field: str) -> Mapping[str, object]:
        value = obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(field, f"must be an object, got {_type_name(value)}")
        return value

    def array(self, obj: Mapping[str, object], key: str, field: str) -> Sequence[object]:
        value = obj.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(field, f"must be an array, got {_type_name(value)}")
        return value

    def strings(self, obj: Mapping[str, object], key: str, field: str) -> tuple[str, ...]:
        out: list[str] = []
        for i, item in enumerate(self.array(obj, key, field)):
            if not isinstance(item, str):
                raise self.fail(f"{field}[{i}]", f"must be a string, got {_type_name(item)}")
            out.append(item)
        return tuple(out)

    def objects(
        self, obj: Mapping[str, object], key: str, field: str
    ) -> list[tuple[str, Mapping[str, object]]]:
        out: list[tuple[str, Mapping[str, object]]] = []
        for i, item in enumerate(self.array(obj, key, field)):
            path = f"{field}[{i}]"
            if not isinstance(item, Mapping):
                raise self.fail(path, f"must be an object, got {_type_name(item)}")
            out.append((path, item))
        return out


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def parse_advisory_json(text: str | bytes) -> Advisory:
    """Parse one OSV record from JSON text; invalid JSON is a ``MalformedRecord`` too."""
    import json  # an audit reads stored digests, not records (see advisories.digest)

    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRecord(
            f"OSV record is not valid JSON: {exc}",
            hint="the record is skipped; the advisory source may be corrupt",
        ) from None
    return parse_advisory(data)


def parse_advisory(data: Mapping[str, object]) -> Advisory:
    """Reduce one OSV record to an ``Advisory``.

    Raises ``MalformedRecord`` when ``data`` is not an object, ``id`` or ``modified`` is missing
    or empty, or a schema-defined field pipvet reads has the wrong type.
    """
    if not isinstance(data, Mapping):
        raise MalformedRecord(
            f"OSV record must be a JSON object, got {_type_name(data)}",
            hint="the record is skipped; the advisory source may be corrupt",
        )
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        shown = "missing" if raw_id is None else f"invalid ({raw_id!r})"
        raise MalformedRecord(
            f"OSV record without an id: field 'id' is {shown}",
            hint="the record is skipped; the advisory source may be corrupt",
        )
    record_id = raw_id.strip()
    r = _Reader(record_id)
    modified = r.string(data, "modified", "modified")
    if not modified:
        raise r.fail("modified", "is missing or empty")

    aliases = tuple(dict.fromkeys(a for a in r.strings(data, "aliases", "aliases") if a))
    related = tuple(dict.fromkeys(a for a in r.strings(data, "related", "related") if a))
    database_specific = r.mapping(data, "database_specific", "database_specific")

    cvss: list[tuple[str, str]] = _severity_entries(r, data, "severity")
    affected: list[Affected] = []
    entry_severities: list[str] = []
    entry_malicious = False
    for path, entry in r.objects(data, "affected", "affected"):
        package = r.mapping(entry, "package", f"{path}.package")
        ecosystem = r.string(package, "ecosystem", f"{path}.package.ecosystem") or ""
        # The schema spells it "PyPI"; a hand-written record (an overlay) saying "pypi" means
        # the same, and skipping it would hide the advisory.
        if ecosystem.strip().casefold() != _PYPI_FOLDED:
            continue
        name = r.string(package, "name", f"{path}.package.name")
        if not name or not name.strip():
            raise r.fail(f"{path}.package.name", "is missing or empty")
        cvss.extend(_severity_entries(r, entry, "severity", path))
        for block in ("database_specific", "ecosystem_specific"):
            extra = r.mapping(entry, block, f"{path}.{block}")
            label = extra.get("severity")
            if isinstance(label, str) and label.strip():
                entry_severities.append(label.strip())
            entry_malicious = entry_malicious or _marks_malicious(extra)
        affected.append(
            Affected(
                package=canonicalize_name(name.strip()),
                ranges=_ranges(r, entry, path),
                versions=tuple(v.strip() for v in r.strings(entry, "versions", f"{path}.versions")),
            )
        )

    top_label = database_specific.get("severity")
    database_severity = (
        top_label.strip()
        if isinstance(top_label, str) and top_label.strip()
        else (entry_severities[0] if entry_severities else None)
    )
    references = tuple(
        url
        for path, ref in r.objects(data, "references", "references")
        if (url := r.string(ref, "url", f"{path}.url"))
    )
    return Advisory(
        id=record_id,
        modified=modified,
        aliases=tuple(a for a in aliases if a != record_id),
        related=related,
        summary=(r.string(data, "summary", "summary") or "").strip(),
        details=r.string(data, "details", "details") or "",
        published=r.string(data, "published", "published"),
        withdrawn=r.string(data, "withdrawn", "withdrawn") or None,
        cvss=tuple(dict.fromkeys(cvss)),
        database_severity=database_severity,
        affected=tuple(affected),
        malicious=(
            is_malicious(record_id, aliases)
            or _marks_malicious(database_specific)
            or entry_malicious
        ),
        references=references,
    )


def is_malicious(record_id: str, aliases: Sequence[str] = ()) -> bool:
    """True for ids of the malicious-packages database (``MAL-``), or records aliasing one."""
    return any(i.upper().startswith("MAL-") for i in (record_id, *aliases))


def _marks_malicious(block: Mapping[str, object]) -> bool:
    """Whether a free-form ``database_specific``/``ecosystem_specific`` block marks malware."""
    if "malicious-packages-origins" in block:
        return True
    if block.get("malicious") is True:
        return True
    cwes = block.get("cwe_ids")
    return isinstance(cwes, list) and _MALWARE_CWE in cwes


def _severity_entries(
    r: _Reader, obj: Mapping[str, object], key: str, prefix: str = ""
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    base = f"{prefix}.{key}" if prefix else key
    for path, entry in r.objects(obj, key, base):
        kind = r.string(entry, "type", f"{path}.type")
        score = r.string(entry, "score", f"{path}.score")
        if kind and score:
            out.append((kind.strip(), score.strip()))
    return out


def _ranges(r: _Reader, entry: Mapping[str, object], path: str) -> tuple[AffectedRange, ...]:
    out: list[AffectedRange] = []
    for range_path, rng in r.objects(entry, "ranges", f"{path}.ranges"):
        kind = r.string(rng, "type", f"{range_path}.type")
        if not kind:
            raise r.fail(f"{range_path}.type", "is missing or empty")
        events: list[RangeEvent] = []
        for event_path, event in r.objects(rng, "events", f"{range_path}.events"):
            for event_kind in _EVENT_KINDS:
                value = r.string(event, event_kind, f"{event_path}.{event_kind}")
                if value is not None and value.strip():
                    events.append(RangeEvent(event_kind, value.strip()))
        out.append(AffectedRange(type=kind.strip().upper(), events=tuple(events)))
    return tuple(out)
