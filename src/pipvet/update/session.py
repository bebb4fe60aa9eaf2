"""The state one ``pipvet update`` run carries between its steps: the options, the
environment's pip (through the runner passed in), the policy, the time the run started, and
what pip ran and built so far.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from pipvet.policy import Policy
from pipvet.system.paths import pip_shown
from pipvet.update.model import UpdateOptions
from pipvet.update.pip import Pip, ReportItem, cooldown_cutoff

__all__ = ["Note", "Session", "shown"]

Note = Callable[[str], None]


@dataclasses.dataclass
class Session:
    options: UpdateOptions
    environ: Mapping[str, str]
    pip: Pip
    policy: Policy
    now: datetime
    note: Note
    commands: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    builds: list[ReportItem] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    # Called after each pip run that completed (the update's record keeps what it installed).
    after_install: Callable[[], None] | None = None

    def install(self, args: Sequence[str], *, dry_run: bool = False) -> None:
        if self.options.offline:
            args = ["--no-index", *args]  # --offline: pip must not reach an index either
        outcome = self.pip.install(args, dry_run=dry_run)
        if not dry_run:
            self.commands.append(tuple(a for a in outcome.argv if not a.endswith(".json")))
            self.builds.extend(outcome.report or ())
            if self.after_install is not None:
                self.after_install()

    def protective_flags(self, *, cooldown: bool = True) -> list[str]:
        features = self.pip.features()
        flags = ["--only-final", ":all:"] if features.release_control else []
        if cooldown and self.policy.cooldown_days > 0 and features.uploaded_prior_to:
            flags += ["--uploaded-prior-to", cooldown_cutoff(self.now, self.policy.cooldown_days)]
        return flags

    @property
    def pip_shown(self) -> str:
        """The environment's own pip, as a suggested command names it."""
        return pip_shown(self.pip.python, self.options.project)


def shown(path: Path, project: Path) -> str:
    """A path as the user would type it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(project.resolve()))
    except ValueError:
        return str(path)
