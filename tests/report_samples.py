"""Hand-built audit reports for the renderer tests (and their golden files)."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from pipvet.models import (
    UNKNOWN_SEVERITY,
    AuditReport,
    Dependency,
    DependencyResult,
    Finding,
    IgnoreNote,
    Location,
    Severity,
    SeverityLabel,
    Snapshot,
)

SNAPSHOT = Snapshot(
    source="https://osv-vulnerabilities.storage.googleapis.com",
    newest_modified="2024-10-10T18:25:43Z",
    records=2661,
    last_sync="2024-10-11T08:00:00Z",
    age_seconds=3 * 3600 + 120,
    # the report is made at 2024-10-11T11:02:00Z: the newest record is 16 hours old (fresh)
    newest_age_seconds=16 * 3600 + 36 * 60 + 17,
    max_data_age_days=7,
)


def dep(
    name: str,
    version: str | None,
    location: Location | None = None,
    skipped: str | None = None,
    *,
    local: bool = False,
) -> Dependency:
    return Dependency(canonicalize_name(name), version, name, location, skipped, local)


REQUESTS = DependencyResult(
    dep("requests", "2.19.0", Location("requirements.txt", 3)),
    (
        Finding(
            kind="vulnerability",
            id="PYSEC-2018-28",
            aliases=("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"),
            summary="Requests sends an HTTP Authorization header to an http URI upon receiving "
            "a same-hostname https-to-http redirect, which makes it easier for remote "
            "attackers to discover credentials by sniffing the network.",
            severity=Severity(
                SeverityLabel.HIGH, 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "cvss"
            ),
            fixed_in=("2.20.0",),
            records=("PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"),
            modified="2024-09-01T00:00:00Z",
        ),
    ),
    fix_requirement="requests>=2.20.0",
)

URLLIB3 = DependencyResult(
    dep("urllib3", "1.24.1", Location("requirements.txt", 4)),
    (
        Finding(
            kind="vulnerability",
            id="PYSEC-2019-133",
            aliases=("CVE-2019-11324",),
            summary="Certificate verification may use the system CA store | even when a "
            "custom `ca_certs` is given <see advisory>",
            severity=Severity(SeverityLabel.MEDIUM, source="database"),
            fixed_in=("1.24.2",),
            records=("PYSEC-2019-133",),
            modified="2024-08-01T00:00:00Z",
        ),
        Finding(
            kind="vulnerability",
            id="GHSA-v845-jxx5-vc9f",
            aliases=("CVE-2023-43804",),
            summary="Cookie request header isn't stripped during cross-origin redirects",
            severity=Severity(
                SeverityLabel.CRITICAL, 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss"
            ),
            fixed_in=("1.26.17",),
            records=("GHSA-v845-jxx5-vc9f",),
            modified="2024-07-01T00:00:00Z",
            ignored=True,
            ignore_reason="we never send cookies from batch jobs",
        ),
    ),
    fix_requirement="urllib3>=1.24.2",
)

EVIL = DependencyResult(
    dep(
        "Evil_Pkg",
        "0.0.1",
        Location("/home/ana/proj/.venv/lib/python3.11/site-packages/evil_pkg-0.0.1.dist-info"),
    ),
    (
        Finding(
            kind="malware",
            id="MAL-2024-1234",
            aliases=("GHSA-mmmm-mmmm-mmmm",),
            summary="Malicious code in evil-pkg (PyPI)",
            severity=UNKNOWN_SEVERITY,
            fixed_in=(),
            records=("MAL-2024-1234",),
            modified="2024-10-01T00:00:00Z",
        ),
    ),
)

MISTUNE = DependencyResult(
    dep("mistune", "0.8.4", Location("requirements.txt", 7)),
    (
        Finding(
            kind="vulnerability",
            id="GHSA-aaaa-bbbb-cccc",
            aliases=(),
            summary="",
            severity=Severity(
                SeverityLabel.LOW, 3.1, "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", "cvss"
            ),
            fixed_in=(),
            records=("GHSA-aaaa-bbbb-cccc",),
            modified="2024-06-01T00:00:00Z",
        ),
        Finding(
            kind="vulnerability",
            id="PYSEC-2022-9",
            aliases=(),
            summary="Catastrophic backtracking in a regular expression",
            severity=UNKNOWN_SEVERITY,
            fixed_in=("2.0.3",),
            records=("PYSEC-2022-9",),
            modified="2024-06-02T00:00:00Z",
        ),
    ),
    fix_requirement=None,
)

NUMPY = DependencyResult(dep("numpy", "1.26.4", Location("requirements.txt", 2)))
FLASK = DependencyResult(
    dep(
        "flask",
        None,
        Location("requirements.txt", 5),
        "not pinned: audit the installed environment",
    )
)
MYLIB = DependencyResult(
    dep(
        "mylib",
        "0.1.dev0",
        Location("src/my lib"),
        "editable install from a local folder: not from an index, so no advisory can name it",
        local=True,
    )
)

# A requirement of a wheel's URL: audited by the version its file name states, and listed as
# not from a package index in every format though it has no finding.
MYPKG_URL = DependencyResult(
    Dependency(
        canonicalize_name("mypkg"),
        "1.0",
        "mypkg",
        Location("requirements.txt", 4),
        local=True,
        local_build=(
            "direct URL https://files.example/mypkg-1.0-py3-none-any.whl: not from the index; "
            "audited as 1.0, the version its file name states (pip does not check that the "
            "file holds that release)"
        ),
    )
)

FULL = AuditReport(
    tool_version="0.1.0",
    target="requirements.txt (and the files it includes)",
    snapshot=SNAPSHOT,
    results=(NUMPY, REQUESTS, URLLIB3, FLASK, EVIL, MISTUNE, MYLIB),
    ignore_notes=(
        IgnoreNote("PYSEC-2017-1", "expired", "waiting for upstream", "2024-09-30"),
        IgnoreNote("GHSA-zzzz-zzzz-zzzz", "unused", "false positive in our fork", "2025-01-31"),
    ),
    warnings=("the advisory data is 3 hours old; run 'pipvet db sync' for the newest",),
    fail_on=SeverityLabel.HIGH,
)

INCOMPLETE = AuditReport(
    tool_version="0.1.0",
    target="virtual environment .venv (Python 3.11)",
    snapshot=SNAPSHOT,
    results=(NUMPY, FLASK),
)

CLEAN = AuditReport(
    tool_version="0.1.0",
    target="virtual environment .venv (Python 3.11)",
    # A mirror that stopped updating, audited on 2026-12-02: stale, so even a clean
    # result says so at the top.
    snapshot=Snapshot(
        "/srv/mirror/osv", "2024-10-10T18:25:43Z", 2661, None, None, 782 * 86400 + 3600, 7
    ),
    results=(NUMPY, DependencyResult(dep("pandas", "2.2.3")), MYPKG_URL),
)

SAMPLES = {"full": FULL, "incomplete": INCOMPLETE, "clean": CLEAN}
