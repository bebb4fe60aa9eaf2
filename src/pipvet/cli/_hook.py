"""The pre-commit hooks of ``.pre-commit-hooks.yaml``: ``python -m pipvet.cli._hook KIND``.

pre-commit appends the names of the changed files to the hook's arguments; each hook turns
them into one pipvet command:

* ``audit``: ``pipvet audit -r FILE ...`` over the requirements files and ``pyproject.toml``
  (lock files, once pipvet reads them, too);
* ``vet``: ``pipvet vet REQ ...`` for the requirements those files gain against ``HEAD``
  (nothing added: nothing to vet, exit 0);
* ``relax``: ``pipvet relax --check FILE ...`` (a file that gains an ``==`` pin fails).

Other arguments (the hook's ``args:``, e.g. ``--offline``) are passed through. Exit codes
are pipvet's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_KINDS = ("audit", "vet", "relax")


_VALUED = {"--policy", "--cache-dir", "--output", "-o", "--format", "--venv", "--python"}


def _split(argv: list[str]) -> tuple[list[str], list[Path]]:
    """(pass-through options, the changed files pre-commit named)."""
    options: list[str] = []
    files: list[Path] = []
    for arg in argv:
        if options and options[-1] in _VALUED:
            options.append(arg)  # the value of the option before it
        elif Path(arg).is_file():
            # A file, whatever its name: a checkout can hold a folder named '--python=evil',
            # and its requirements.txt must not become an option of pipvet's.
            files.append(Path(arg))
        else:
            options.append(arg)
    return options, files


def _path_arg(path: Path) -> str:
    """``path`` as an argument no parser can take for an option."""
    text = str(path)
    return f".{os.sep}{text}" if text.startswith("-") else text


def _old_text(path: Path) -> str | None:
    """The file as committed at HEAD; None when it is new (or there is no HEAD yet)."""
    try:
        done = subprocess.run(
            ["git", "show", f"HEAD:./{path.as_posix()}"],
            capture_output=True,
            check=False,
            cwd=path.parent if path.is_absolute() else None,
        )
    except OSError:
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    from pipvet.cli import main as pipvet_main

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in _KINDS:
        sys.stderr.write(f"pipvet hook: error: the first argument is one of {', '.join(_KINDS)}\n")
        return 2
    kind, rest = args[0], args[1:]
    options, files = _split(rest)
    if kind == "relax":
        return pipvet_main(["relax", "--check", *options, *map(_path_arg, files)]) if files else 0
    if kind == "audit":
        if not files:
            return 0
        return pipvet_main(["audit", *options, *(a for f in files for a in ("-r", _path_arg(f)))])
    from pipvet.errors import InputError
    from pipvet.project.added import added_requirements
    from pipvet.system.files import read_text_exact

    added: list[str] = []
    for path in files:
        try:
            added += added_requirements(
                _old_text(path), read_text_exact(path), pyproject=path.name == "pyproject.toml"
            )
        except (InputError, ValueError) as exc:
            from pipvet.report.safe import escape_controls

            # The checkout names the file: its name must not drive the terminal.
            sys.stderr.write(escape_controls(f"pipvet hook: {path}: not vetted ({exc})") + "\n")
            return 2
    if not added:
        return 0
    return pipvet_main(["vet", *options, *added])


if __name__ == "__main__":
    raise SystemExit(main())
