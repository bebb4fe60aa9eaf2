"""Severity of an advisory: a CVSS v3.x base score computed from its vector, else its label.

Scores are computed exactly as the FIRST CVSS v3.0 and v3.1 specifications define the base
equations (section 7 of each), including v3.1's floating-point-safe ``Roundup``. CVSS v4
vectors are not scored: v4 needs the full macro-vector lookup and interpolation, and a
near-miss would be a made-up number. CVSS v2 vectors are not scored either. When no vector
can be scored, the database's own label is used (``MODERATE`` means medium), else the
severity is unknown. Malformed input never raises; it falls through to the next source.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

from pipvet.models import UNKNOWN_SEVERITY, Advisory, Severity, SeverityLabel

__all__ = ["cvss3_base_score", "label_for_score", "severity_of"]

# Base metric weights, CVSS v3.1 specification section 7.4 (identical in v3.0).
_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}

_BASE_VALUES: Mapping[str, frozenset[str]] = {
    "AV": frozenset(_AV),
    "AC": frozenset(_AC),
    "PR": frozenset(_PR_UNCHANGED),
    "UI": frozenset(_UI),
    "S": frozenset({"U", "C"}),
    "C": frozenset(_CIA),
    "I": frozenset(_CIA),
    "A": frozenset(_CIA),
}
# Temporal and environmental metrics may follow the base ones; they do not change the base
# score, but an unknown metric or value means the vector is not one we understand.
_OTHER_VALUES: Mapping[str, frozenset[str]] = {
    "E": frozenset("XUPFH"),
    "RL": frozenset("XOTWU"),
    "RC": frozenset("XURC"),
    "CR": frozenset("XLMH"),
    "IR": frozenset("XLMH"),
    "AR": frozenset("XLMH"),
    "MAV": frozenset("XNALP"),
    "MAC": frozenset("XLH"),
    "MPR": frozenset("XNLH"),
    "MUI": frozenset("XNR"),
    "MS": frozenset("XUC"),
    "MC": frozenset("XNLH"),
    "MI": frozenset("XNLH"),
    "MA": frozenset("XNLH"),
}

_DATABASE_LABELS = {
    "LOW": SeverityLabel.LOW,
    "MODERATE": SeverityLabel.MEDIUM,
    "MEDIUM": SeverityLabel.MEDIUM,
    "HIGH": SeverityLabel.HIGH,
    "CRITICAL": SeverityLabel.CRITICAL,
}


def _roundup_31(value: float) -> float:
    """CVSS v3.1 Appendix A ``Roundup``: round up to one decimal, immune to float noise."""
    int_input = round(value * 100_000)
    if int_input % 10_000 == 0:
        return int_input / 100_000.0
    return (math.floor(int_input / 10_000) + 1) / 10.0


def _roundup_30(value: float) -> float:
    """CVSS v3.0 ``Roundup``: the smallest one-decimal number equal to or higher than value."""
    return math.ceil(value * 10) / 10


def _parse_vector(vector: str) -> tuple[str, dict[str, str]] | None:
    parts = vector.strip().split("/")
    head = parts[0]
    if head not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        allowed = _BASE_VALUES.get(key) or _OTHER_VALUES.get(key)
        if not sep or allowed is None or value not in allowed or key in metrics:
            return None
        metrics[key] = value
    if not all(key in metrics for key in _BASE_VALUES):
        return None
    return head.removeprefix("CVSS:"), metrics


@functools.lru_cache(maxsize=4096)
def cvss3_base_score(vector: str) -> float | None:
    """The CVSS v3.0/v3.1 base score of ``vector``, or None if it is not a valid v3 vector."""
    parsed = _parse_vector(vector)
    if parsed is None:
        return None
    version, m = parsed
    changed = m["S"] == "C"
    iss = 1 - (1 - _CIA[m["C"]]) * (1 - _CIA[m["I"]]) * (1 - _CIA[m["A"]])
    impact = (7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15) if changed else 6.42 * iss
    privileges = (_PR_CHANGED if changed else _PR_UNCHANGED)[m["PR"]]
    exploitability = 8.22 * _AV[m["AV"]] * _AC[m["AC"]] * privileges * _UI[m["UI"]]
    if impact <= 0:
        return 0.0
    roundup = _roundup_31 if version == "3.1" else _roundup_30
    raw = 1.08 * (impact + exploitability) if changed else impact + exploitability
    return roundup(min(raw, 10.0))


def label_for_score(score: float) -> SeverityLabel:
    """Qualitative rating of a CVSS score (v3.x specification, section 5)."""
    if score == 0.0:
        return SeverityLabel.NONE
    if score < 4.0:
        return SeverityLabel.LOW
    if score < 7.0:
        return SeverityLabel.MEDIUM
    if score < 9.0:
        return SeverityLabel.HIGH
    return SeverityLabel.CRITICAL


def severity_of(advisory: Advisory) -> Severity:
    """The advisory's severity: highest scorable CVSS v3 vector, else database label."""
    best: Severity | None = None
    for _kind, vector in advisory.cvss:
        score = cvss3_base_score(vector)
        if score is not None and (best is None or score > (best.score or 0.0)):
            best = Severity(label_for_score(score), score, vector.strip(), "cvss")
    if best is not None:
        return best
    label = _DATABASE_LABELS.get((advisory.database_severity or "").strip().upper())
    if label is not None:
        return Severity(label, source="database")
    return UNKNOWN_SEVERITY
