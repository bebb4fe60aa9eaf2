"""Running another program (a target interpreter, its pip): the one place vetting starts one.

Collaborators receive a ``Runner`` and call it; tests pass a runner whose environment is
scrubbed of the machine's pip configuration, the command line passes the user's own.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipvet.errors import EnvironmentProblem

__all__ = ["RunResult", "Runner", "SubprocessRunner"]


@dataclass(frozen=True)
class RunResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class Runner(Protocol):
    def __call__(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """Run ``argv``; with ``on_line``, hand each output line over as it comes."""
        ...


@dataclass(frozen=True)
class SubprocessRunner:
    """Runs commands with ``env`` (default: this process's environment)."""

    env: Mapping[str, str] | None = None
    cwd: str | None = None
    default_timeout: float = 900.0

    def __call__(
        self,
        argv: Sequence[str],
        *,
        on_line: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        env = dict(os.environ if self.env is None else self.env)
        limit = timeout or self.default_timeout
        try:
            if on_line is None:
                proc = subprocess.run(
                    list(argv),
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=self.cwd,
                    timeout=limit,
                    check=False,
                )
                return RunResult(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
            return self._stream(argv, env, on_line, limit)
        except FileNotFoundError as exc:
            raise EnvironmentProblem(
                f"cannot run {argv[0]}: no such program",
                hint="check the --python / --venv path",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise EnvironmentProblem(
                f"{' '.join(argv[:4])} ... did not finish within {limit:.0f} s"
            ) from exc

    def _stream(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        on_line: Callable[[str], None],
        limit: float,
    ) -> RunResult:
        # stderr is merged so the user sees pip's messages in the order pip wrote them.
        with subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(env),
            cwd=self.cwd,
        ) as proc:
            assert proc.stdout is not None
            lines: list[str] = []
            for line in proc.stdout:
                lines.append(line)
                on_line(line.rstrip("\n"))
            code = proc.wait(timeout=limit)
        return RunResult(tuple(argv), code, "".join(lines), "")
