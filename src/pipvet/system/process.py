"""Running another program (a target interpreter, its pip, ``python -m venv``).

The one process seam: the command line builds one ``SubprocessRunner`` with the user's
environment and passes it down to everything that starts a process; nothing has a module-level
default to fall back on. Tests pass a runner whose environment is scrubbed of the machine's pip
configuration, or a fake that records what it was asked to run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from pipvet.errors import EnvironmentProblem
from pipvet.frozen import frozen

TYPE_CHECKING = False  # not typing's: an audit imports no typing (see pipvet.frozen)
if TYPE_CHECKING:
    from typing import Protocol
else:
    # A protocol is for type checkers; at run time nothing asks isinstance of Runner (a
    # Protocol refuses that anyway), so a plain base does.
    Protocol = object

__all__ = ["RunResult", "Runner", "SubprocessRunner"]


@frozen
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


@frozen
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
        # Imported here: commands that never start a process should not pay for it.
        import subprocess

        env = dict(os.environ if self.env is None else self.env)
        # The runner's own limit is a ceiling: a caller may ask for less, never for more.
        limit = min(timeout, self.default_timeout) if timeout else self.default_timeout
        try:
            if on_line is None:
                proc = subprocess.run(
                    list(argv),
                    capture_output=True,
                    text=True,
                    stdin=subprocess.DEVNULL,
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
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot run {argv[0]}: {exc.strerror or exc}",
                hint="check that the program exists and can be run",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise EnvironmentProblem(
                f"{' '.join(argv[:4])} ... did not finish within {limit:g} s"
            ) from exc

    def _stream(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        on_line: Callable[[str], None],
        limit: float,
    ) -> RunResult:
        import subprocess

        # stderr is merged so the user sees pip's messages in the order pip wrote them.
        with subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
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
