"""The environment a package would be installed into: its interpreter's facts, asked once.

Markers (``python_version``, ``sys_platform``, ...) and wheel tags must be those of the
*target* interpreter, not the one running pipvet: a venv of another Python version or
architecture selects other dependencies and other wheels. One small subprocess asks the
target, using pipvet's own copy of ``packaging`` (pure Python, appended to the target's path
so it never shadows the target's standard library).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pipvet.errors import EnvironmentProblem
from pipvet.frozen import field, frozen
from pipvet.models import NormalizedName
from pipvet.system.process import Runner
from pipvet.typing_free import cast

TYPE_CHECKING = False  # not typing's: a vet imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Any


__all__ = ["TargetEnvironment", "from_facts", "probe_facts", "probe_target"]

_PROBE = """\
import json, platform, sys
sys.path.append(sys.argv[1])
from packaging import markers, tags
print(json.dumps({
    "markers": markers.default_environment(),
    "tags": [str(t) for t in tags.sys_tags()],
    "version": platform.python_version(),
    "implementation": platform.python_implementation(),
    "executable": sys.executable,
    "prefix": sys.prefix,
}))
"""


@frozen
class TargetEnvironment:
    """Facts about the target interpreter, and what is already installed in it."""

    python: str
    python_version: str
    implementation: str
    prefix: str
    markers: Mapping[str, str]
    # Most preferred first, as pip ranks them; each as ``str(packaging.tags.Tag)`` writes it
    # (``cp311-cp311-manylinux_2_17_x86_64``, lower case): wheels are matched by that text,
    # and making Tag objects would import packaging.tags (platform, sysconfig, subprocess).
    tags: tuple[str, ...]
    installed: Mapping[NormalizedName, str] = field(default_factory=dict)  # name -> version

    @property
    def label(self) -> str:
        """``CPython 3.11`` on its platform: how messages name this interpreter."""
        short = ".".join(self.python_version.split(".")[:2])
        return f"{self.implementation} {short} on {self.markers.get('sys_platform', '?')}"

    def marker_environment(self, extra: str = "") -> dict[str, str]:
        return {**self.markers, "extra": extra}


def probe_target(
    python: str | Path,
    runner: Runner,
    *,
    installed: Mapping[NormalizedName, str] | None = None,
) -> TargetEnvironment:
    """Ask ``python`` for its marker environment and supported wheel tags."""
    return from_facts(probe_facts(python, runner), installed or {})


def probe_facts(python: str | Path, runner: Runner) -> dict[str, Any]:
    """The probe's raw answer (JSON-able, so callers can keep it)."""
    import packaging

    here = str(Path(packaging.__file__).resolve().parent.parent)
    result = runner([str(python), "-I", "-S", "-c", _PROBE, here], timeout=60)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise EnvironmentProblem(
            f"cannot ask {python} about its platform: "
            + (detail[-1] if detail else f"exit code {result.returncode}"),
            hint="check that --python / --venv names a working Python 3.8 or newer",
        )
    try:
        data = json.loads(result.stdout)
        from_facts(data, {})
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvironmentProblem(
            f"{python} gave an unreadable answer about its platform ({exc})"
        ) from exc
    return cast("dict[str, Any]", data)


def from_facts(
    data: Mapping[str, Any], installed: Mapping[NormalizedName, str]
) -> TargetEnvironment:
    """A ``TargetEnvironment`` from the probe's answer; KeyError/TypeError/ValueError if the
    answer is not one."""
    tags = tuple(_tag(t) for t in cast("list[str]", data["tags"]))
    return TargetEnvironment(
        python=str(data["executable"]),
        python_version=str(data["version"]),
        implementation=str(data["implementation"]),
        prefix=str(data["prefix"]),
        markers={str(k): str(v) for k, v in cast("dict[str, str]", data["markers"]).items()},
        tags=tags,
        installed=dict(installed),
    )


def _tag(text: str) -> str:
    """``str(Tag(*text.split("-", 2)))``: the text in lower case; TypeError, as ``Tag`` raises,
    when it has fewer than three parts."""
    if text.count("-") < 2:
        raise TypeError(f"not a wheel tag: {text!r}")
    return text.lower()
