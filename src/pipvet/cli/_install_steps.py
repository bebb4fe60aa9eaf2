"""The steps of ``pipvet install`` that keep its gate closed.

* ``check_no_builds``: refuse pip arguments that make pip run a package's build code even
  when asked for wheels only (a local folder, an archive or URL, ``-e``, ``--no-binary``, also
  inside ``-r`` files): the dry run that asks what would be installed must run nothing.
* ``install_vetted``: install exactly the vetted set: every distribution pinned ``==`` in a
  constraints file and named on the command line, ``--no-deps`` (so pip adds nothing it found
  by itself), wheels only except the source-only releases the user accepted, and pip's own
  ``--report`` of what it installed.
* ``difference``: what pip installed that was not vetted, and what was vetted but not
  installed.
* ``audit_installed``: the audit of what was installed, with the advisory data the vetting
  already prepared.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from pipvet.advisories.sync_model import SyncOutcome
from pipvet.audit import run as auditing
from pipvet.errors import PipError, UsageError
from pipvet.frozen import frozen
from pipvet.inputs.requirements_model import OptionLine
from pipvet.models import AuditReport, same_version
from pipvet.policy import Policy
from pipvet.system.process import Runner
from pipvet.vetting.service import VetRequest, parse_request
from pipvet.vetting.subtree import PipReportEntry, parse_pip_report

__all__ = [
    "WHERE",
    "Difference",
    "Pinned",
    "audit_installed",
    "check_no_builds",
    "checks_hashes",
    "difference",
    "install_vetted",
    "requested",
]

# pip options that take a value: the token after them is not a requirement.
PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--pypi-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target",
    "--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi", "--src",
    "--source", "--source-dir", "--source-directory", "--upgrade-strategy", "--progress-bar",
    "--report", "--log", "--log-file", "--local-log", "--cache-dir", "-C", "--config-settings",
    "--only-binary", "--no-binary", "--uploaded-prior-to", "--group", "--requirements-from-script",
    "--build-constraint", "--all-releases", "--only-final", "--refresh-package", "--python",
    "--keyring-provider", "--proxy", "--retries", "--timeout", "--default-timeout",
    "--exists-action", "--cert", "--client-cert", "--use-feature", "--use-deprecated",
    "--resume-retries", "--root-user-action"
})  # fmt: skip

# pip options that install somewhere else than the environment pipvet vetted for.
_ELSEWHERE = frozenset({"-t", "--target", "--prefix", "--root", "--user"})
WHERE = (
    "pip would install outside the environment pipvet vets for and checks afterwards, where "
    "pipvet can neither show what changed nor audit it"
)

_WHY = (
    "pip reads what such a source needs by running its build code, and pipvet lets nothing of "
    "a package run before you have seen and accepted its verdict"
)


@frozen
class Pinned:
    """One distribution of the vetted set; ``build`` is set for an accepted source-only one."""

    name: NormalizedName
    version: str
    build: bool = False
    sha256: str | None = None  # the file pip's dry run would take, when its report says


@frozen
class Difference:
    unvetted: tuple[PipReportEntry, ...]  # installed, never vetted (at that version)
    missing: tuple[Pinned, ...]  # vetted, not installed

    def __bool__(self) -> bool:
        return bool(self.unvetted or self.missing)


def _option_value(args: Sequence[str], i: int) -> tuple[str, str | None, int]:
    """The option at ``args[i]``, its value, and the index after it, read as pip's optparse
    reads them: ``--opt=v``, ``--opt v``, ``-rFILE``, short flags grouped before a value option
    (``-qr FILE``, ``-Ur FILE``), and a long option cut short where only one value option
    starts so (``--requirem FILE``). Anything else is returned as it is, without a value."""
    token = args[i]
    nxt = args[i + 1] if i + 1 < len(args) else None
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        name = _LONG_PREFIXES.get(name, name)
        if eq:
            return name, value, i + 1
        return (name, nxt, i + 2) if name in PIP_VALUE_OPTIONS else (name, None, i + 1)
    if not token.startswith("-"):
        return token, None, i + 1  # a positional argument
    for at, char in enumerate(token[1:], start=1):
        if f"-{char}" in PIP_VALUE_OPTIONS:  # the flags before it take no value
            rest = token[at + 1 :]
            return (f"-{char}", rest, i + 1) if rest else (f"-{char}", nxt, i + 2)
    return token, None, i + 1


# pip install's long options (pip 26.3): a shortened value option is read as that option,
# but a flag's own name never is (--pre is not --prefix).
_PIP_LONG_OPTIONS = frozenset({
    "--abi", "--all-releases", "--break-system-packages", "--build-constraint", "--cache-dir",
    "--cert", "--check-build-dependencies", "--client-cert", "--compile", "--config-settings",
    "--constraint", "--debug", "--default-timeout", "--disable-pip-version-check", "--dry-run",
    "--editable", "--exists-action", "--extra-index-url", "--find-links", "--force-reinstall",
    "--group", "--help", "--ignore-installed", "--ignore-requires-python", "--implementation",
    "--index-url", "--isolated", "--keyring-provider", "--local-log", "--log", "--log-file",
    "--no-binary", "--no-build-isolation", "--no-cache-dir", "--no-clean", "--no-color",
    "--no-compile", "--no-dependencies", "--no-deps", "--no-index", "--no-input", "--no-proxy-env",
    "--no-python-version-warning", "--no-require-hashes", "--no-user", "--no-warn-conflicts",
    "--no-warn-script-location", "--only-binary", "--only-dependencies", "--only-deps",
    "--only-final", "--platform", "--pre", "--prefer-binary", "--prefix", "--progress-bar",
    "--proxy", "--pypi-url", "--python", "--python-version", "--quiet", "--refresh-package",
    "--report", "--require-hashes", "--require-venv", "--require-virtualenv", "--requirement",
    "--requirements-from-script", "--resume-retries", "--retries", "--root", "--root-user-action",
    "--source", "--source-dir", "--source-directory", "--src", "--target", "--timeout",
    "--trusted-host", "--upgrade", "--upgrade-strategy", "--uploaded-prior-to", "--use-deprecated",
    "--use-feature", "--use-pep517", "--user", "--verbose"
})  # fmt: skip


_SCRIPT = "--requirements-from-script"


def _long_prefixes() -> dict[str, str]:
    """Each shortened spelling of a long value option that names only that one among the
    value options and is no option of its own. Some pip versions find some of these
    ambiguous and stop; treating them as the value option only checks more."""
    values = [o for o in PIP_VALUE_OPTIONS if o.startswith("--") and o != _SCRIPT]
    out: dict[str, str] = {}
    for option in values:
        for end in range(3, len(option)):
            prefix = option[:end]
            if prefix not in _PIP_LONG_OPTIONS and sum(o.startswith(prefix) for o in values) == 1:
                out[prefix] = option
    # --requirem stays --requirement (pip before 26.2 knows no other); --requirements is this.
    out.update((_SCRIPT[:end], _SCRIPT) for end in range(len("--requirements"), len(_SCRIPT)))
    return out


_LONG_PREFIXES = _long_prefixes()


def _direct_reference(token: str) -> bool:
    """A positional pip argument that is a path, archive or URL rather than NAME[SPEC]: pip
    cuts a marker off at the first ``;`` before it looks (``pkg.tar.gz; python_version>"3"``)."""
    from pipvet.inputs.requirement_urls import names_archive

    return (
        "/" in token
        or "\\" in token
        or token.startswith(".")
        or "://" in token
        or "@" in token
        or names_archive(token.split(";", 1)[0])
    )


def _allows_builds(option: OptionLine) -> bool:
    """A requirements file's option that lets pip build (pip applies it after the command
    line's ``--only-binary :all:``): ``--no-binary``, or ``--only-binary`` with ``:none:``,
    or with a ``${NAME}`` pip fills in from its environment (``:none:``, for all pipvet can
    tell: the value is read here as written)."""
    values = (option.value or "").split(",")
    return option.option == "--no-binary" or (
        option.option == "--only-binary" and (":none:" in values or "${" in (option.value or ""))
    )


def requested(
    pip_args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]
) -> list[VetRequest]:
    """Every ``NAME[SPEC]`` the command line and its ``-r`` files ask for.

    UsageError (before anything runs) for whatever pip would have to build to read: a local
    folder, an archive or URL, an editable, ``--no-binary``, on the command line or in a
    requirements file."""
    from pipvet.inputs.requirements import parse_requirements_file

    found: list[VetRequest] = []
    i = 0
    while i < len(pip_args):
        token = pip_args[i]
        if token.startswith("-") and token != "-":
            name, value, i = _option_value(pip_args, i)
            if name in ("-e", "--editable"):
                raise UsageError(
                    f"pipvet install cannot vet the editable install '{value}': {_WHY}",
                    hint="vet its dependencies (pipvet vet -r pyproject.toml), then install it "
                    "with pip yourself",
                )
            if name in ("--group", _SCRIPT):
                raise UsageError(
                    f"pipvet install cannot read {name} {value}: it cannot tell what pip would "
                    "take from it, so it could not check that nothing there is built before "
                    "the verdict",
                    hint="vet it (pipvet vet -r pyproject.toml), then install it with pip "
                    "yourself; or list the packages in a requirements file for pipvet install -r",
                )
            if name in _ELSEWHERE:
                raise UsageError(
                    f"pipvet install cannot honour {name}: {WHERE}",
                    hint="leave it out, or vet (pipvet vet NAME) and then run pip yourself",
                )
            if name == "--no-binary":
                raise UsageError(
                    f"pipvet install cannot honour --no-binary {value}: {_WHY}",
                    hint="leave --no-binary out; a package published only as source is vetted "
                    "from the index and built only once you accept (--yes)",
                )
            if name in ("-c", "--constraint") and value is not None:
                # pip applies a constraints file's options too, after the command line's:
                # --no-binary or --only-binary :none: there would undo the dry run's
                # --only-binary :all:.
                path = Path(value) if Path(value).is_absolute() else cwd / value
                for option in parse_requirements_file(
                    path, environ=environ, constraint=True
                ).options:
                    if _allows_builds(option):
                        raise UsageError(
                            f"{option.location}: '{option.raw.strip()}': pipvet install cannot "
                            f"honour {option.option}: {_WHY}",
                            hint="remove the line from the constraints file",
                        )
            if name in ("-r", "--requirement") and value is not None:
                path = Path(value) if Path(value).is_absolute() else cwd / value
                parsed = parse_requirements_file(path, environ=environ)
                for option in parsed.options:
                    if _allows_builds(option):
                        raise UsageError(
                            f"{option.location}: '{option.raw.strip()}': pipvet install cannot "
                            f"honour {option.option}: {_WHY}",
                            hint="remove the line, or install that file with pip yourself after "
                            "vetting it (pipvet vet -r FILE)",
                        )
                for entry in parsed.requirements:
                    if entry.kind in ("editable", "url") or entry.name is None:
                        raise UsageError(
                            f"{entry.location}: '{entry.raw.strip()}' is not a package from the "
                            f"index: {_WHY}",
                            hint="vet that file (pipvet vet -r FILE), then install it with pip "
                            "yourself",
                        )
                    found.append(
                        VetRequest(
                            entry.raw.strip(), entry.name, entry.specifier, frozenset(entry.extras)
                        )
                    )
            continue
        i += 1
        if _direct_reference(token):
            raise UsageError(
                f"pipvet install cannot vet '{token}': it is a path, archive or URL, not a "
                f"package on the index, and {_WHY}",
                hint="install packages by name (pipvet install NAME); vet a project's "
                "dependencies with pipvet vet -r pyproject.toml",
            )
        found.append(parse_request(token))
    return found


def check_no_builds(pip_args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> None:
    """UsageError when the arguments would make pip build something to read it."""
    requested(pip_args, cwd=cwd, environ=environ)


_ADDRESS_OPTIONS = ("-i", "--index-url", "--pypi-url", "--extra-index-url", "-f", "--find-links")


def check_variables(
    pip_args: Sequence[str], *, cwd: Path, environ: Mapping[str, str], configured: frozenset[str]
) -> None:
    """InputError when pip, reading the ``-r``/``-c`` files of ``pip_args``, would send the
    value of a ``${NAME}`` to a host the files chose, and so before any verdict. ``configured``
    are the hosts pip's settings name; the command line's index options add theirs."""
    from pipvet.inputs.variables import host_of
    from pipvet.update.targets import refuse_unsafe_variables

    files: list[Path] = []
    hosts = set(configured)
    i = 0
    while i < len(pip_args):
        if not pip_args[i].startswith("-"):
            i += 1
            continue
        name, value, i = _option_value(pip_args, i)
        if value is None:
            continue
        if name in ("-r", "--requirement", "-c", "--constraint"):
            files.append(Path(value) if Path(value).is_absolute() else cwd / value)
        elif name in _ADDRESS_OPTIONS and (host := host_of(value)) is not None:
            hosts.add(host)
    refuse_unsafe_variables(files, environ, frozenset(hosts))


def checks_hashes(pip_args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> bool:
    """Will pip run in hash-checking mode (``--require-hashes``, or a ``--hash`` in a ``-r``
    file)? Then every requirement it is given needs a hash, so the pins go in the constraints
    file only (constraints need none), and the user's hashed requirements name the set."""
    from pipvet.inputs.requirements import parse_requirements_file

    i = 0
    while i < len(pip_args):
        name, value, i = _option_value(pip_args, i)
        if name == "--require-hashes":
            return True
        if name in ("-r", "--requirement") and value is not None:
            path = Path(value) if Path(value).is_absolute() else cwd / value
            parsed = parse_requirements_file(path, environ=environ)
            if any(e.hashes for e in parsed.requirements) or any(
                o.option == "--require-hashes" for o in parsed.options
            ):
                return True
    return False


def install_vetted(
    python: Path,
    pip_args: Sequence[str],
    vetted: Sequence[Pinned],
    runner: Runner,
    work: Path,
    *,
    on_line: Callable[[str], None] | None = None,
    say: Callable[[str], None] | None = None,
    name_pins: bool = True,
) -> tuple[PipReportEntry, ...]:
    """Run pip for exactly ``vetted`` and return pip's report of what it installed.

    The user's arguments stay (their index options, ``-U``, their requirements, all satisfied
    by the pins); ``--no-deps`` and the pins come after them. Without ``name_pins`` (pip
    checks hashes) the pins are constraints only; the report comparison still holds pip to
    the set."""
    constraints = work / "vetted.txt"
    constraints.write_text("".join(f"{p.name}=={p.version}\n" for p in vetted), encoding="utf-8")
    report = work / "installed.json"
    binary = ["--only-binary", ":all:"]
    for p in vetted:
        if p.build:
            binary += ["--no-binary", p.name]
    argv = [
        str(python), "-I", "-m", "pip", "install", *pip_args,
        "--no-deps", "-c", str(constraints), "--report", str(report), *binary,
        *(f"{p.name}=={p.version}" for p in vetted if name_pins),
    ]  # fmt: skip
    if say is not None:
        say(f"running {' '.join(argv)}")
    result = runner(argv, on_line=on_line)
    if result.returncode != 0:
        lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
        raise PipError(
            f"pip install failed (exit code {result.returncode})"
            + (f": {lines[-1].strip()}" if lines else ""),
            hint="pip's own messages are shown above; nothing was vetted differently",
        )
    try:
        text = report.read_text(encoding="utf-8")
    except OSError as exc:
        raise PipError(
            f"pip wrote no installation report ({exc}), so pipvet cannot tell what it installed",
            hint="pip 22.2 or newer writes one; audit the environment: pipvet audit",
        ) from exc
    return parse_pip_report(text)


def _other_bytes(planned: str | None, installed: str | None) -> bool:
    """The install took another file than the dry run (a source that answers differently the
    second time): what was vetted is not what is installed."""
    return planned is not None and planned != installed  # no hash at all now: not the same


def difference(vetted: Sequence[Pinned], installed: Sequence[PipReportEntry]) -> Difference:
    """Compare pip's report of what it installed with the vetted set."""
    wanted = {p.name: p for p in vetted}
    got = {canonicalize_name(e.name): e for e in installed}
    unvetted = tuple(
        e for name, e in got.items()
        if name not in wanted or not same_version(wanted[name].version, e.version)
        or _other_bytes(wanted[name].sha256, e.sha256)
    )  # fmt: skip
    missing = tuple(
        p for p in vetted if p.name not in got or not same_version(p.version, got[p.name].version)
    )
    return Difference(unvetted, missing)


def audit_installed(
    python: Path,
    names: Collection[NormalizedName],
    outcome: SyncOutcome,
    *,
    policy: Policy,
    environ: Mapping[str, str],
    cwd: Path,
    runner: Runner,
    clock: Callable[[], float],
    description: str,
) -> AuditReport:
    """The audit of ``names`` as now installed in ``python``'s environment."""
    collected = auditing.collect(
        auditing.Inputs(python=python), environ=environ, cwd=cwd, runner=runner
    )
    wanted = set(names)
    deps = tuple(d for d in collected.dependencies if d.name in wanted)
    mine = auditing.Collected(deps, description, collected.warnings)
    return auditing.audit(mine, outcome, policy=policy, clock=clock)
