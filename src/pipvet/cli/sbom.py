"""`pipvet sbom`: the environment (or requirements) as a CycloneDX or SPDX SBOM, with
pipvet's vulnerabilities, for a server that collects SBOMs (Dependency-Track, GUAC...)."""

from __future__ import annotations

import argparse
import re

from pipvet import __version__
from pipvet.cli._common import (
    EXIT_ERROR,
    EXIT_OK,
    Output,
    add_common_options,
    apply_output_options,
    emit,
)
from pipvet.cli._options import (
    add_advisory_options,
    add_allow_unchecked,
    add_environment_options,
    advisory_data,
    one_environment,
    rebuild_advisory_data,
)
from pipvet.errors import UsageError
from pipvet.report.formats import CYCLONEDX_VERSIONS

TYPE_CHECKING = False  # not typing's (see cli._common)
if TYPE_CHECKING:
    from typing import Any

# Compiled (and cached by re) when a serial number is given, not by every `pipvet sbom --help`.
_SERIAL = r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sbom",
        help="write an SBOM (CycloneDX 1.6 / 1.5 or SPDX 2.3 JSON) with known vulnerabilities",
        description=(
            "Write what is installed (or pinned) as an SBOM: components with purls, licences, "
            "hashes where the metadata or the requirements file gives them, the dependency "
            "graph, what wheels bundle (PEP 770), and, in CycloneDX, pipvet's vulnerabilities "
            "from the local OSV database. Upload it to Dependency-Track or keep it as a CI "
            "artifact. Without inputs, describes the same environment pipvet audit would."
        ),
        epilog="Exit codes: 0 written (vulnerabilities do not fail it: use pipvet audit for "
        "that); 2 usage error, bad input, no advisory data, or some dependencies could not be "
        "checked (the SBOM is still written; --allow-unchecked accepts that).",
    )
    src = p.add_argument_group("what to describe (combinable)")
    src.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file or pyproject.toml; repeatable",
    )
    src.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="DIR",
        help="a site-packages folder, read from metadata only; repeatable",
    )
    add_environment_options(
        src,
        python="the interpreter whose packages to describe",
        venv="the virtual environment to describe",
    )
    doc = p.add_argument_group("the document")
    doc.add_argument(
        "--spec",
        choices=CYCLONEDX_VERSIONS,
        default=CYCLONEDX_VERSIONS[0],
        help="CycloneDX version (default 1.6; 1.5 for older consumers)",
    )
    doc.add_argument(
        "--serial-number",
        metavar="URN",
        help="the document's serial number (urn:uuid:...); default: derived from the content",
    )
    doc.add_argument(
        "--without-vulnerabilities",
        action="store_true",
        help="components and graph only: do not audit (no advisory data needed)",
    )
    add_advisory_options(p)
    add_allow_unchecked(p, what="some dependencies could not be checked")
    add_common_options(p, formats=("cyclonedx", "spdx"))
    p.set_defaults(func=handle)


def _timestamp(environ: Any, clock: Any) -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds), as ISO 8601 UTC."""
    from datetime import UTC, datetime

    given = environ.get("SOURCE_DATE_EPOCH")
    if given:
        if not given.isdigit() or len(given) > 12:
            raise UsageError(
                f"SOURCE_DATE_EPOCH is {given[:40]!r}, not a number of seconds since 1970",
                hint="set it to an integer (e.g. $(git log -1 --format=%ct)) or unset it",
            )
        seconds = float(given)
    else:
        seconds = float(clock())
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def handle(args: argparse.Namespace, out: Output) -> int:
    # Here, not at the top: `pipvet sbom --help` needs only the parser
    # (tests/test_cli_help_startup.py).
    from pathlib import Path

    from pipvet.audit import run
    from pipvet.cli._context import build_context
    from pipvet.sbom.collect import collect_packages
    from pipvet.sbom.cyclonedx import render_cyclonedx
    from pipvet.sbom.model import BomDocument
    from pipvet.sbom.spdx import render_spdx

    apply_output_options(args, out)
    one_environment(args)
    serial = args.serial_number
    if serial is not None and not re.fullmatch(_SERIAL, serial.lower()):
        raise UsageError(
            f"--serial-number {serial[:80]!r} is not a urn:uuid: (RFC 4122)",
            hint="pass urn:uuid: followed by a UUID, e.g. from 'python -c \"import uuid; "
            "print(uuid.uuid4().urn)\"', or leave it out to derive one from the content",
        )
    ctx = build_context(args)
    timestamp = _timestamp(ctx.environ, ctx.clock)
    inputs = run.Inputs(
        requirement_files=tuple(Path(r) for r in args.requirement),
        paths=tuple(Path(p) for p in args.path),
        python=Path(args.python) if args.python else None,
        venv=Path(args.venv) if args.venv else None,
    )
    runner = ctx.runner()
    collected = run.collect(inputs, environ=ctx.environ, cwd=ctx.cwd, runner=runner)
    out.info(f"describing {collected.target}")
    packages, warnings = collect_packages(
        collected, inputs, environ=ctx.environ, cwd=ctx.cwd, runner=runner
    )
    report = None
    if args.format == "cyclonedx" and not args.without_vulnerabilities:
        http = ctx.http()
        outcome = advisory_data(ctx, http, progress=out.progress)
        report = run.audit(
            collected,
            outcome,
            policy=ctx.policy,
            clock=ctx.clock,
            rebuild=lambda: rebuild_advisory_data(ctx, http, progress=out.progress),
        )
        warnings = (*report.warnings, *warnings)
    else:
        warnings = (*collected.warnings, *warnings)
    document = BomDocument(
        packages=packages,
        target=collected.target,
        tool_version=__version__,
        timestamp=timestamp,
        report=report,
        serial=serial.lower() if serial else None,
    )
    spdx = args.format == "spdx"
    text = render_spdx(document) if spdx else render_cyclonedx(document, args.spec)
    emit(out, text, args.output)
    for warning in warnings:
        out.info(f"warning: {warning}")
    summary = f"{len(packages)} components"
    if report is not None:
        summary += f", {len(report.active_findings)} vulnerabilities"
        summary += f", {len(report.unchecked)} unchecked" if report.unchecked else ""
    out.info(summary)
    if report is None or args.allow_unchecked:
        return EXIT_OK
    if report.unchecked or not report.results:
        why = (
            f"{len(report.unchecked)} dependencies could not be checked"
            if report.unchecked
            else "nothing was found to describe"
        )
        out.err(f"pipvet: error: the SBOM was written, but {why}; --allow-unchecked accepts that")
        return EXIT_ERROR
    return EXIT_OK
