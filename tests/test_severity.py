"""CVSS v3.x base scores against published values, and the fallbacks when there is no vector."""

from __future__ import annotations

import itertools
from decimal import ROUND_CEILING, Decimal

import pytest

from pipvet.models import UNKNOWN_SEVERITY, Advisory, Severity, SeverityLabel
from pipvet.severity import cvss3_base_score, label_for_score, severity_of

# Scores as published by NVD / the FIRST calculator for these vectors.
PUBLISHED = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, SeverityLabel.CRITICAL),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N", 7.2, SeverityLabel.HIGH),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, SeverityLabel.MEDIUM),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N", 6.8, SeverityLabel.MEDIUM),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, SeverityLabel.HIGH),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, SeverityLabel.HIGH),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, SeverityLabel.HIGH),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, SeverityLabel.CRITICAL),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1, SeverityLabel.CRITICAL),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, SeverityLabel.MEDIUM),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, SeverityLabel.MEDIUM),
    ("CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:L", 5.1, SeverityLabel.MEDIUM),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, SeverityLabel.LOW),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, SeverityLabel.NONE),
    ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, SeverityLabel.HIGH),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, SeverityLabel.HIGH),
    # Temporal metrics after the base ones do not change the base score; order is free.
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8, SeverityLabel.CRITICAL),
    ("CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/A:H/I:H/C:H", 9.8, SeverityLabel.CRITICAL),
]


@pytest.mark.parametrize(("vector", "score", "label"), PUBLISHED)
def test_published_scores(vector: str, score: float, label: SeverityLabel) -> None:
    assert cvss3_base_score(vector) == score
    advisory = Advisory(id="X-1", modified="2024-01-01T00:00:00Z", cvss=(("CVSS_V3", vector),))
    assert severity_of(advisory) == Severity(label, score, vector, "cvss")


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "CVSS:3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # A missing
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # bad value
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # duplicate metric
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",  # unknown metric
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A",  # no value
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",  # CVSS v2 has no prefix at all
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ],
)
def test_unscorable_vectors_give_none(vector: str) -> None:
    assert cvss3_base_score(vector) is None


def _reference_score(vector: str) -> float:
    """The base equations in exact decimal arithmetic, rounded up as the spec defines."""
    d = Decimal
    m = dict(part.split(":") for part in vector.split("/")[1:])
    cia = {"H": d("0.56"), "L": d("0.22"), "N": d(0)}
    av = {"N": d("0.85"), "A": d("0.62"), "L": d("0.55"), "P": d("0.2")}[m["AV"]]
    ac = {"L": d("0.77"), "H": d("0.44")}[m["AC"]]
    changed = m["S"] == "C"
    pr = {"N": d("0.85"), "L": d("0.68") if changed else d("0.62")}.get(
        m["PR"], d("0.5") if changed else d("0.27")
    )
    ui = {"N": d("0.85"), "R": d("0.62")}[m["UI"]]
    iss = 1 - (1 - cia[m["C"]]) * (1 - cia[m["I"]]) * (1 - cia[m["A"]])
    if changed:
        impact = d("7.52") * (iss - d("0.029")) - d("3.25") * (iss - d("0.02")) ** 15
    else:
        impact = d("6.42") * iss
    if impact <= 0:
        return 0.0
    exploit = d("8.22") * av * ac * pr * ui
    raw = d("1.08") * (impact + exploit) if changed else impact + exploit
    return float(min(raw, d(10)).quantize(d("0.1"), rounding=ROUND_CEILING))


def test_every_base_vector_matches_exact_decimal_arithmetic() -> None:
    """All 2,592 base vectors, both versions: float code must equal exact-arithmetic scores."""
    values = {"AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC"}
    values |= {"C": "HLN", "I": "HLN", "A": "HLN"}
    checked = 0
    for combo in itertools.product(*values.values()):
        body = "/".join(f"{k}:{v}" for k, v in zip(values, combo, strict=True))
        for version in ("3.0", "3.1"):
            vector = f"CVSS:{version}/{body}"
            assert cvss3_base_score(vector) == _reference_score(vector), vector
            checked += 1
    assert checked == 5184


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.0, SeverityLabel.NONE),
        (0.1, SeverityLabel.LOW),
        (3.9, SeverityLabel.LOW),
        (4.0, SeverityLabel.MEDIUM),
        (6.9, SeverityLabel.MEDIUM),
        (7.0, SeverityLabel.HIGH),
        (8.9, SeverityLabel.HIGH),
        (9.0, SeverityLabel.CRITICAL),
        (10.0, SeverityLabel.CRITICAL),
    ],
)
def test_rating_boundaries(score: float, label: SeverityLabel) -> None:
    assert label_for_score(score) is label


@pytest.mark.parametrize(
    ("database", "label"),
    [
        ("LOW", SeverityLabel.LOW),
        ("moderate", SeverityLabel.MEDIUM),
        ("Medium", SeverityLabel.MEDIUM),
        (" HIGH ", SeverityLabel.HIGH),
        ("critical", SeverityLabel.CRITICAL),
    ],
)
def test_database_label_when_no_vector(database: str, label: SeverityLabel) -> None:
    advisory = Advisory(id="X-1", modified="m", database_severity=database)
    assert severity_of(advisory) == Severity(label, None, None, "database")


@pytest.mark.parametrize("database", [None, "", "severe", "5", "UNKNOWN"])
def test_unknown_when_nothing_usable(database: str | None) -> None:
    advisory = Advisory(
        id="X-1",
        modified="m",
        database_severity=database,
        cvss=(("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P"), ("CVSS_V3", "CVSS:3.1/AV:N/broken")),
    )
    assert severity_of(advisory) is UNKNOWN_SEVERITY


def test_vector_wins_over_database_label_and_malformed_vector_falls_back() -> None:
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    with_vector = Advisory(
        id="X-1", modified="m", database_severity="CRITICAL", cvss=(("CVSS_V3", vector),)
    )
    assert severity_of(with_vector) == Severity(SeverityLabel.HIGH, 7.5, vector, "cvss")
    broken = Advisory(
        id="X-1", modified="m", database_severity="LOW", cvss=(("CVSS_V3", vector[:-4]),)
    )
    assert severity_of(broken) == Severity(SeverityLabel.LOW, source="database")


def test_v4_vector_is_not_scored_but_v3_beside_it_is() -> None:
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    only_v4 = Advisory(id="X-1", modified="m", cvss=(("CVSS_V4", v4),))
    assert severity_of(only_v4) is UNKNOWN_SEVERITY
    both = Advisory(id="X-1", modified="m", cvss=(("CVSS_V4", v4), ("CVSS_V3", v3)))
    assert severity_of(both).score == 9.8


def test_highest_of_several_v3_vectors() -> None:
    low = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
    high = "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
    advisory = Advisory(id="X-1", modified="m", cvss=(("CVSS_V3", low), ("CVSS_V3", high)))
    assert severity_of(advisory) == Severity(SeverityLabel.HIGH, 8.8, high, "cvss")
