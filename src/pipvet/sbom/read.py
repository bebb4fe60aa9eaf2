"""Reading an SBOM file: ``read_sbom(path) -> SbomInventory``. The I/O edge of ``parse``.

An SBOM is input from other people: the file must be a regular file (a FIFO or a device is
refused without blocking) of at most ``MAX_SBOM_BYTES``; it must be UTF-8 JSON, nested no
deeper than Python's parser manages. Every failure is an ``InputError`` that names the file,
says what is wrong and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipvet.errors import InputError
from pipvet.sbom.model import SbomInventory
from pipvet.sbom.parse import parse_sbom
from pipvet.system.files import FileProblem, read_bytes_capped

__all__ = ["MAX_SBOM_BYTES", "read_sbom"]

MAX_SBOM_BYTES = 64 * 1024 * 1024  # a CycloneDX file of 100,000 components is about 40 MiB


def read_sbom(path: Path, *, cap: int = MAX_SBOM_BYTES) -> SbomInventory:
    """The PyPI components of the CycloneDX (1.3-1.6) or SPDX (2.2/2.3, or GitHub's export)
    JSON file at ``path``. Raises InputError naming the file."""
    try:
        data = read_bytes_capped(path, cap=cap)
    except FileProblem as exc:
        raise InputError(
            f"cannot read the SBOM {exc.path}: {exc.reason}",
            hint="pass a CycloneDX or SPDX JSON file",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the SBOM {path} is not UTF-8 text (byte {exc.start})",
            hint="pass the JSON form of the SBOM (CycloneDX or SPDX JSON), not XML or binary",
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the SBOM {path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}",
            hint="check that the file was written completely (a CycloneDX or SPDX JSON file)",
        ) from None
    except (RecursionError, ValueError) as exc:
        raise InputError(
            f"the SBOM {path} cannot be read as JSON: {str(exc)[:120] or 'nested too deeply'}",
            hint="pass a CycloneDX or SPDX JSON file",
        ) from None
    return parse_sbom(doc, path)
