"""The argument parser every command uses: argparse that raises instead of exiting.

It imports only ``argparse`` and the terminal's width (``_listing``): ``pipvet --help`` loads
it only for a terminal narrower than ``_listing`` lays the listing out for.
"""

from __future__ import annotations

import argparse

from pipvet.cli._listing import columns

TYPE_CHECKING = False  # not typing's: see pipvet.cli._common
if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["ArgumentError", "PipvetArgumentParser"]


class ArgumentError(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class PipvetArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` decides the exit code."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse's own width, minus its import of shutil
        kind = self.formatter_class
        if isinstance(kind, type) and issubclass(kind, argparse.HelpFormatter):
            return kind(prog=self.prog, width=columns() - 2)
        return super()._get_formatter()

    def error(self, message: str) -> NoReturn:
        hint = f"run '{self.prog} --help' to see the options"
        if "unrecognized arguments" in message or "invalid choice" in message:
            hint = f"check the spelling; {hint}"
        raise ArgumentError(f"{self.prog}: error: {message}", hint)
