"""What ``pipvet update`` asks pip to upgrade: the requirements files, the project folder
(``.`` for a pyproject project, editable when it is installed so) and every installed
distribution they do not name; the same in words for the report.

Reads the requirements files and the environment scan it is given; runs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pipvet.errors import InputError
from pipvet.inputs.installed_model import EnvironmentScan
from pipvet.models import NormalizedName, canonicalize_name
from pipvet.policy import Policy
from pipvet.update.session import Session, shown

__all__ = ["installed_unnamed", "refuse_unsafe_variables", "target_args"]


def target_args(
    run: Session,
    scan: EnvironmentScan,
    files: Sequence[Path],
    project_name: NormalizedName | None,
) -> tuple[list[str], list[str]]:
    """pip's arguments for the main upgrade, and the same in words."""
    project = run.options.project
    targets: list[str] = []
    for f in files:
        targets += ["-r", str(f)]
    labels = [shown(f, project) for f in files]
    if project_name is not None:
        editable = _installed_editable(scan, project)
        targets += ["-e", str(project)] if editable else [str(project)]
        labels.append(". (pyproject.toml" + (", editable)" if editable else ")"))
    unnamed = installed_unnamed(scan, files, run.environ, run.policy, project_name)
    if unnamed:
        # What the files do not name is upgraded too (a seeded setuptools, leftovers), by
        # name and without a bound, so a requirement that caps it still holds.
        targets += unnamed
        labels.append(f"{len(unnamed)} installed package{'' if len(unnamed) == 1 else 's'} "
                      f"the requirements do not name ({_few(unnamed)})")  # fmt: skip
    return targets, labels


def _installed_editable(scan: EnvironmentScan, project: Path) -> bool:
    """Is the project already installed in editable mode? Then it stays editable."""
    here = project.resolve()
    for dist in scan.distributions:
        url = dist.direct_url
        if url is not None and url.kind == "editable" and Path(url.where).resolve() == here:
            return True
    return False


def installed_unnamed(
    scan: EnvironmentScan,
    files: Sequence[Path],
    environ: Mapping[str, str],
    policy: Policy,
    project_name: NormalizedName | None,
) -> list[str]:
    """Installed distributions the requirements do not name, to upgrade by name: those pip
    got from an index. Left out: pip (upgraded first), the project itself, anything installed
    from a URL or a folder (its name means nothing to the index, and may be private), a
    policy-internal name (never looked up on an index) and metadata without a version."""
    from pipvet.inputs.requirements import parse_requirements_file

    named: set[NormalizedName] = set()
    for path in files:
        named.update(e.name for e in parse_requirements_file(path, environ=environ).entries
                     if e.name is not None)  # fmt: skip
    out: dict[NormalizedName, str] = {}
    for dist in scan.distributions:
        if (
            dist.name in named
            or dist.name in ("pip", project_name)
            or dist.direct_url is not None
            or dist.format == "egg-link"
            or dist.problem
            or not dist.version
            or policy.is_internal(dist.name)
        ):
            continue
        out.setdefault(dist.name, dist.display_name)
    return sorted(out.values(), key=canonicalize_name)


def _few(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


_VARIABLES_HINT = (
    "a requirements file from someone else (a pull request) could send any variable anywhere "
    "this way. If the host is your package index, name it where a file cannot change it: "
    "pip config set global.extra-index-url https://HOST/simple, or PIP_EXTRA_INDEX_URL; "
    "otherwise remove the variable from the line"
)


def refuse_unsafe_variables(
    files: Sequence[Path], environ: Mapping[str, str], trusted_hosts: frozenset[str]
) -> None:
    """InputError when pip, given these files, would send a ``${NAME}``'s value to a host the
    files chose (``pipvet.inputs.variables``); checked before pip runs at all."""
    from pipvet.inputs.requirements import parse_requirements_file
    from pipvet.inputs.variables import unsafe_variables

    problems: list[str] = []
    for path in files:
        parsed = parse_requirements_file(path, environ=environ)
        problems += unsafe_variables(parsed, trusted_hosts)
    if problems:
        raise InputError(
            "pip would fill in environment variables in these requirements and send them to "
            "hosts the files chose, so pipvet does not give it the files",
            problems=tuple(problems),
            hint=_VARIABLES_HINT,
        )
