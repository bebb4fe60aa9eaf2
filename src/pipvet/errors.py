"""One error hierarchy for pipvet.

I/O edges translate foreign exceptions (OSError, sqlite3.Error, urllib errors, JSON errors)
into these once; everything above the edge sees only PipvetError subclasses. The CLI turns
them into a message and exit code 2.
"""

from __future__ import annotations


class PipvetError(Exception):
    """Base class. ``str(err)`` is a complete message for the user; ``hint`` says what to do."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PipvetError):
    """The command line itself is wrong."""


class InputError(PipvetError):
    """A file the user gave us is malformed. Carries every problem found in it."""

    def __init__(
        self, message: str, *, problems: tuple[str, ...] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  {p}" for p in self.problems)


class PolicyError(InputError):
    """The policy file (pyproject [tool.pipvet] or pipvet.toml) is invalid."""


class DataError(PipvetError):
    """Data pipvet needs is missing, unreadable or malformed (advisories, popularity, cache)."""


class NetworkError(DataError):
    """A remote source could not be reached or answered with an error."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status


class EnvironmentProblem(PipvetError):
    """The target Python environment cannot be used (missing, not a venv where one is needed)."""


class PipError(PipvetError):
    """A pip subprocess failed."""
