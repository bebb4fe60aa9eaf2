"""Which packages ``pipvet update`` vets, and remembering the ones it could not.

An update vets the packages it added to the environment, each at its installed version. One
that could not be vetted (the index unreachable, ``--offline`` without a cached answer) fails
the run closed (exit 2), but it would not be new on the next run and so would never be vetted.
So its name is kept in a small file in the environment itself (``pipvet-unvetted.json`` in the
environment's prefix: it lives and dies with the environment) and the next update vets it
again, until it gets a verdict or is no longer installed.

Packages installed from a URL or a folder rather than an index are passed on with how they
were installed; the vetting lists them without looking their names up.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from pipvet.advisories.sync_model import SyncOutcome
from pipvet.errors import InputError
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.system.files import write_text_atomic
from pipvet.update.model import Environment, NewPackage, PackageChange
from pipvet.vetting.model import VetReport

__all__ = ["PENDING_FILE", "VetNew", "read_pending", "to_vet", "write_pending"]

PENDING_FILE = "pipvet-unvetted.json"


class VetNew(Protocol):
    def __call__(
        self, env: Environment, packages: Sequence[NewPackage], advisories: SyncOutcome
    ) -> VetReport:
        """One verdict per package, in order, each vetted at its installed version."""
        ...


def to_vet(
    scan: EnvironmentScan, changes: Sequence[PackageChange], pending: Iterable[NormalizedName]
) -> tuple[NewPackage, ...]:
    """The packages ``changes`` added, then those still ``pending`` from an earlier run that
    are installed, as the environment ``scan`` (after the update) has them."""
    dists = {d.name: d for d in scan.distributions}
    added = [c.name for c in changes if c.kind == "added"]
    earlier = [n for n in dict.fromkeys(pending) if n not in added]
    out: list[NewPackage] = []
    for name, was_earlier in [(n, False) for n in added] + [(n, True) for n in earlier]:
        dist = dists.get(name)
        if dist is None:
            continue
        direct = None
        if dist.direct_url is not None:
            direct = f"{dist.direct_url.where} ({dist.direct_url.kind})"
        elif dist.format == "egg-link":
            direct = f"{dist.metadata_path} (setup.py develop)"
        version = None if dist.problem else dist.version
        out.append(
            NewPackage(dist.name, dist.display_name, version, dist.location, direct, was_earlier)
        )
    return tuple(out)


def read_pending(prefix: Path) -> tuple[NormalizedName, ...]:
    """Names an earlier update could not vet; none when the file is absent or unreadable
    (it is pipvet's own small file: a damaged one is replaced at the end of the run)."""
    try:
        data = json.loads((prefix / PENDING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    names = data.get("unvetted") if isinstance(data, dict) else None
    if not isinstance(names, list):
        return ()
    return tuple(canonicalize_name(n) for n in names if isinstance(n, str) and n)


def write_pending(prefix: Path, names: Iterable[NormalizedName]) -> str | None:
    """Remember ``names`` for the next update (the file goes when there are none). Returns a
    warning when the file cannot be written: the run goes on, the user is told."""
    path = prefix / PENDING_FILE
    wanted = sorted(set(names))
    try:
        if not wanted:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None
        text = json.dumps({"unvetted": wanted}, indent=2) + "\n"
        write_text_atomic(path, text)
    except (OSError, InputError) as exc:
        return (
            f"could not record in {path} which packages are still to be vetted ({exc}); "
            f"the next update will not retry {', '.join(wanted) or 'them'}"
        )
    return None
