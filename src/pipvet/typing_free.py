"""What pipvet takes from ``typing`` at run time, without importing it.

An audit and a vet import no ``typing`` (its import is a measurable share of their start-up,
see ``pipvet.frozen``); type checkers read ``TYPE_CHECKING`` as true and see typing's own.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's (mypy reads this as true)
if TYPE_CHECKING:
    from typing import cast
else:

    def cast(_kind: object, value: object) -> object:  # typing's, as it runs
        return value


__all__ = ["cast"]
