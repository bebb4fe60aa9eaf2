"""Matching against the real PyPI advisory snapshot: every record, every listed version.

OSV says a version is affected when it is in an entry's ``versions`` list *or* in one of its
ranges. The database generated those lists from the ranges, so the two must agree almost
everywhere; where they do not, the data is inconsistent (a list missing pre-releases or
releases published after the record was last enumerated, or an events list that overlaps
itself) and pipvet follows the OSV rule: either one is enough. These tests check that rule
holds for every record and that range evaluation alone reproduces the lists except in a
small, explained remainder.
"""

from __future__ import annotations

import random
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from packaging.version import Version

from pipvet.advisories.explain import explain
from pipvet.advisories.match import affects, find, fixed_versions
from pipvet.advisories.osv import MalformedRecord, parse_advisory_json
from pipvet.advisories.versions import version_or_none
from pipvet.models import Advisory, Affected, NormalizedName, canonicalize_name


class Snapshot:
    def __init__(self, archive: Path) -> None:
        self.advisories: list[Advisory] = []
        self.malformed: list[str] = []
        self.misnamed: list[str] = []
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                try:
                    advisory = parse_advisory_json(zf.read(member))
                except MalformedRecord as exc:
                    self.malformed.append(f"{member}: {exc}")
                    continue
                if member != f"{advisory.id}.json":
                    self.misnamed.append(member)
                self.advisories.append(advisory)
        self.by_package: dict[NormalizedName, list[Advisory]] = defaultdict(list)
        # every valid version some record lists for a package: the releases we know of
        self.known: dict[NormalizedName, set[Version]] = defaultdict(set)
        for advisory in self.advisories:
            for entry in advisory.affected:
                self.by_package[entry.package].append(advisory)
                self.known[entry.package].update(_listed(entry))

    def live(self) -> list[tuple[Advisory, Affected]]:
        return [(a, e) for a in self.advisories if not a.withdrawn for e in a.affected]


def _listed(entry: Affected) -> list[Version]:
    return [v for text in entry.versions if (v := version_or_none(text)) is not None]


def _range_only(advisory: Advisory, entry: Affected) -> Advisory:
    """The same record with its versions list removed: what the ranges alone say."""
    bare = Affected(entry.package, entry.ranges, ())
    return Advisory(id=advisory.id, modified=advisory.modified, affected=(bare,))


@pytest.fixture(scope="module")
def snapshot(shared_data: Path) -> Snapshot:
    return Snapshot(shared_data / "osv" / "PyPI" / "all.zip")


def test_every_record_parses(snapshot: Snapshot) -> None:
    assert snapshot.malformed == []
    assert snapshot.misnamed == []
    assert len(snapshot.advisories) > 2000
    assert all(a.affected for a in snapshot.advisories), "every record names a PyPI package"


def test_every_listed_version_is_affected(snapshot: Snapshot) -> None:
    checked = 0
    missed = []
    for advisory, entry in snapshot.live():
        for version in _listed(entry):
            checked += 1
            if not affects(advisory, entry.package, version):
                missed.append(f"{advisory.id} {entry.package} {version}")
    assert missed == []
    assert checked > 100_000


@pytest.mark.parametrize(
    "sample",
    # the default run checks a fixed-seed sample; CI checks all 34,925 pairs
    [pytest.param(3000, id="sample"), pytest.param(None, id="all", marks=pytest.mark.slow)],
)
def test_find_reports_every_record_listing_the_version(
    snapshot: Snapshot, sample: int | None
) -> None:
    """What an audit sees: find() over the package's records names each listing record."""
    wanted: dict[tuple[NormalizedName, Version], set[str]] = defaultdict(set)
    for advisory, entry in snapshot.live():
        for version in _listed(entry):
            wanted[(entry.package, version)].add(advisory.id)
    assert len(wanted) > 30_000  # 34,925 listed (package, version) pairs in the snapshot
    pairs = sorted(wanted.items(), key=lambda item: (item[0][0], str(item[0][1])))
    if sample is not None:
        pairs = random.Random(34925).sample(pairs, sample)
    problems = []
    for (package, version), ids in pairs:
        findings = find(snapshot.by_package[package], package, version)
        reported = {record for f in findings for record in f.records}
        if not ids <= reported:
            problems.append(f"{package} {version}: missing {sorted(ids - reported)}")
        every_id = [i for f in findings for i in f.all_ids]
        if len(every_id) != len(set(every_id)):
            problems.append(f"{package} {version}: an id appears in two findings")
    assert problems == []


def test_withdrawn_records_match_nothing(snapshot: Snapshot) -> None:
    withdrawn = [a for a in snapshot.advisories if a.withdrawn]
    assert withdrawn
    for advisory in withdrawn:
        for entry in advisory.affected:
            for version in _listed(entry) or [Version("0")]:
                assert not affects(advisory, entry.package, version), advisory.id
                assert fixed_versions(advisory, entry.package, version) == ()


def test_ranges_alone_reproduce_the_versions_lists(snapshot: Snapshot) -> None:
    """Over every release we know of, ranges and lists agree except in a small remainder.

    Listed but outside every range: the database's list and events disagree (for example
    ``fixed 23.9.0`` while ``23.9.0`` is listed, or one events array holding two overlapping
    ranges). Such versions still match, through the list, and ``explain`` says so.
    In a range but not listed: lists that skip pre-releases, or releases published after
    the record was enumerated. Such versions match through the range (erring on the side of
    reporting). Each side must stay a small fraction; a broken range evaluator would not.
    """
    agree = range_only = list_only = 0
    list_only_cases: list[str] = []
    for advisory, entry in snapshot.live():
        if not entry.versions or not any(r.type == "ECOSYSTEM" for r in entry.ranges):
            continue
        bare = _range_only(advisory, entry)
        listed = set(_listed(entry))
        for version in snapshot.known[entry.package]:
            by_range = affects(bare, entry.package, version)
            if by_range and version in listed:
                agree += 1
            elif by_range:
                range_only += 1
                assert affects(advisory, entry.package, version)
            elif version in listed:
                list_only += 1
                list_only_cases.append(f"{advisory.id} {entry.package} {version}")
                why = explain(advisory, entry.package, version)
                # explain must give the list as the reason, and no range
                reasons = [line.strip() for line in why.lines if line.endswith("-> affected")]
                assert why.matched, str(why)
                assert [r.split(":")[0] for r in reasons] == ["versions list"], str(why)
    assert agree > 100_000
    assert list_only <= agree // 10_000, list_only_cases
    assert range_only <= agree // 50, f"{range_only} range-only matches of {agree}"


def test_a_known_advisory_end_to_end(snapshot: Snapshot) -> None:
    requests = canonicalize_name("requests")
    findings = find(snapshot.by_package[requests], requests, Version("2.19.0"))
    by_id = {f.id: f for f in findings}
    finding = by_id["PYSEC-2018-28"]
    assert finding.aliases == ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg")
    assert finding.fixed_in == ("2.20.0",)
    assert finding.kind == "vulnerability"
    assert finding.summary.startswith("The Requests package before 2.20.0")
    assert all(f.id for f in findings)
    assert "PYSEC-2018-28" not in {
        f.id for f in find(snapshot.by_package[requests], requests, Version("2.20.0"))
    }
