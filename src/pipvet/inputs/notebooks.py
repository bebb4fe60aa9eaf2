"""Jupyter notebooks (``.ipynb``): the install lines in code cells are requirements.

``%pip install``, ``!pip install``, ``!pip3 install``, ``!python -m pip install`` (and
``python3``, ``{sys.executable}``), ``!uv pip install``, and a cell of one line that IPython runs
as a magic without its "%" (``pip install x``): every name is a requirement, read as a
requirements-file line (``-r``, ``-c``, ``-e`` and index options kept, ``-U``, ``-q`` and other
flags dropped). ``%conda install`` / ``!conda install`` / ``mamba``: every package is listed
as installed by conda. Each entry's location names the notebook, the cell (counting every
cell from 1, as Jupyter shows them) and the line inside the cell.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipvet.errors import InputError
from pipvet.inputs.conda import conda_entry
from pipvet.inputs.lock_common import cut, read_lock_text
from pipvet.inputs.notebook_installs import code_installs, shell_installs
from pipvet.inputs.requirements_model import RequirementEntry, RequirementsFile
from pipvet.models import Location

__all__ = ["read_notebook"]

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # outputs (images) make notebooks large
_MAX_LINE = 10_000

# One shell command (the "%"/"!" and any shell operators already taken off).
_PIP_RE = re.compile(
    r"^(?:sudo\s+(?:-\S+\s+)*)?"
    r"(?:(?:python[0-9.]*|\{sys\.executable\}|\S*/python[0-9.]*)\s+-m\s+pip|pip[0-9.]*|uv\s+pip)"
    r"(?:\s+-[A-Za-z-]+)*\s+install\b(?P<args>.*)$"
)
_CONDA_RE = re.compile(r"^(?:sudo\s+)?(?:conda|mamba|micromamba)\s+install\b(?P<args>.*)$")
# Shell operators between commands: each command of "!pip install x && pip install y" counts.
_SEGMENTS = re.compile(r"&&|\|\||;|\|")
# What ends one command's arguments: a redirection or a comment.
_SHELL_END_RE = re.compile(r"\s(?:>|2>|#).*$")
# Cell magics that run the whole cell as shell commands (%%script runs any interpreter named).
_SHELL_CELL = re.compile(
    r"^%%(?:bash|sh|zsh|!|sx|system"
    r"|script(?:\s+--?\S+)*\s+(?:\S*/)?(?:ba|z|da|k|tc|c|fi)?sh)(?=\s|$)"
)
# Cell magics whose body is not run at all: a file written, text shown.
_INERT_CELL = re.compile(
    r"^%%(?:writefile|file|markdown|md|html|latex|javascript|js|svg|text|perl|ruby)(?=\s|$)"
)
# IPython's help line (obj? or ?obj): no Python, kept out of the syntax tree the cell's Python
# code is judged by (shell and magic lines, assignments from them included, are too).
_IPYTHON_ONLY = re.compile(r"^\s*(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")
# "x = !cmd" and "x = %magic ...": IPython runs the command and keeps its output.
_ASSIGNED = re.compile(r"^\s*[\w.]+\s*=\s*[!%](.*)$")
# Line magics that run the rest of their line as Python.
_CODE_LINE = re.compile(r"^\s*%(?:time|timeit|prun)\s+(.*)$")
# Cell magics that run the rest of the cell as IPython code.
_CODE_CELL = re.compile(
    r"^%%(?:capture|time|timeit|prun|script(?:\s+--?\S+)*\s+(?:\S*/)?python[0-9.]*)(?=\s|$)"
)
# IPython's automagic: a cell of one line that starts with the name of a line magic runs
# that magic without the "%" ("pip install x" is %pip install x).
_AUTOMAGIC = re.compile(r"^(?:pip|conda|mamba|micromamba|uv)(?:\s|$)")

_PIP_VALUE = {
    "-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c",
    "-e": "-e", "--editable": "-e", "-i": "--index-url", "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url", "-f": "--find-links",
    "--find-links": "--find-links", "--trusted-host": "--trusted-host",
}  # fmt: skip
_PIP_IGNORED_VALUE = {
    "-t", "--target", "--prefix", "--root", "--platform", "--python-version",
    "--implementation", "--abi", "--upgrade-strategy", "--progress-bar", "--cache-dir",
    "--src", "--log", "--proxy", "--retries", "--timeout", "--only-binary", "--no-binary",
    "--report", "-C", "--config-settings", "--global-option", "--python",
    "--exists-action", "--cert", "--client-cert",
}  # fmt: skip
_CONDA_VALUE = {"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "--repodata-fn"}


def read_notebook(path: Path, *, environ: Mapping[str, str] | None = None) -> RequirementsFile:
    """Read the install lines of a notebook's code cells; InputError naming the notebook
    (and cell and line) when it is not a notebook or a line cannot be read."""
    from pipvet.inputs.requirements_txt import read_embedded_lines

    text = read_lock_text(path, "notebook", cap=MAX_NOTEBOOK_BYTES)
    cells = _cells(path, _load(path, text))
    finder = _LineFinder(text)
    pip_lines: list[tuple[Location, str]] = []
    conda: list[RequirementEntry] = []
    problems: list[str] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            problems.append(f"{path}, cell {number}: the source is not text (is it a notebook?)")
            continue
        lines = source.splitlines()
        if lines and _INERT_CELL.match(lines[0].strip()):
            continue  # %%writefile and the like: the cell's text is not run
        commands = list(_commands(lines))
        problems += _code_installs(path, number, lines, {n for n, _, _ in commands})
        for line_no, line, body in commands:
            stripped = line.strip()
            location = Location(str(path), finder.find(line), number, line_no)
            for segment in _SEGMENTS.split(body):
                command = segment.strip()
                pip = _PIP_RE.match(command)
                found = pip or _CONDA_RE.match(command)
                if found is None:
                    if shell_installs(command):
                        problems.append(
                            f"{location}: '{cut(stripped)}' installs packages in a way pipvet "
                            "does not read, so they would go unchecked; write it as "
                            "%pip install NAME ... (one command a line)"
                        )
                    continue
                args = _SHELL_END_RE.sub("", found.group("args"))
                try:
                    tokens = shlex.split(args[:_MAX_LINE])
                except ValueError as exc:
                    problems.append(f"{location}: '{cut(stripped)}' — {exc} (fix the quoting)")
                    continue
                if any("{" in t or "$" in t for t in tokens):
                    # What the variable holds is installed, unchecked: fail closed.
                    problems.append(
                        f"{location}: '{cut(stripped)}' installs what a Python or shell "
                        "variable holds, which pipvet cannot expand, so it would go unchecked; "
                        "write the names out (%pip install NAME ...)"
                    )
                    continue
                if pip is not None:
                    pip_lines += [(location, t) for t in _pip_lines(tokens)]
                else:
                    conda += [conda_entry(t, location, section="notebook") for t in _conda(tokens)]
    if problems:
        raise InputError(
            f"cannot read the install lines of {path}: {len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}",
            problems=tuple(problems),
        )
    parsed = read_embedded_lines(path, pip_lines, environ=environ, section="notebook")
    return RequirementsFile(
        path=path,
        entries=(*parsed.entries, *conda),
        options=parsed.options,
        files=parsed.files,
        warnings=parsed.warnings,
    )


def _code_installs(path: Path, cell: int, lines: list[str], commands: set[int]) -> list[str]:
    """The cell's Python code (its shell commands and magics kept out, line numbers kept)
    installing in a way pipvet cannot read: one problem, at the line of that call."""
    code: list[str] = []
    for n, line in enumerate(lines, start=1):
        indent = line[: len(line) - len(line.lstrip())]
        if code_line := _CODE_LINE.match(line):  # %time CODE
            code.append(indent + (code_line.group(1) or "pass"))
        elif n in commands or line.lstrip().startswith("%") or _IPYTHON_ONLY.match(line):
            code.append(indent + "pass" if line.strip() else "")  # keeps a block Python
        else:
            code.append(line)
    line_no = code_installs("\n".join(code))
    if line_no is None:
        return []
    where = Location(str(path), None, cell, line_no)
    return [
        f"{where}: '{cut(lines[line_no - 1].strip())}' installs packages from Python code, "
        "which pipvet does not read, so they would go unchecked; write it as %pip install NAME"
    ]


def _commands(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, line, shell command) for each line of a code cell that IPython runs as
    a shell command or a line magic."""
    first = lines[0].strip() if lines else ""
    shell_cell = _SHELL_CELL.match(first) is not None
    # %%capture, %%time... run the rest of the cell as a cell of its own
    body = lines[1:] if _CODE_CELL.match(first) else lines
    one_line = len([line for line in body if line.strip()]) == 1
    for line_no, line in enumerate(lines, start=1):
        stripped = line.strip()
        assigned = _ASSIGNED.match(line)
        if _CODE_LINE.match(line):
            continue  # %time CODE: Python, judged with the cell's code
        if stripped.startswith(("%", "!")) and not stripped.startswith("%%"):
            yield line_no, line, stripped[1:].strip()
        elif assigned is not None:
            yield line_no, line, assigned.group(1).strip()
        elif (shell_cell and line_no > 1) or (one_line and _AUTOMAGIC.match(stripped)):
            yield line_no, line, stripped


def _load(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            f"cannot read {path}: it is not a notebook (JSON nested too deeply)"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"cannot read {path}: it is not a notebook (not valid JSON)",
            problems=(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}",),
            hint="open and save it in Jupyter, or check that it is the .ipynb file",
        ) from None
    except ValueError as exc:  # a number of over 4,300 digits
        raise InputError(f"cannot read {path}: it is not a notebook ({exc})") from None


def _cells(path: Path, data: Any) -> list[Any]:
    if isinstance(data, dict):
        cells = data.get("cells")
        if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
            sheets = [w for w in data["worksheets"] if isinstance(w, dict)]
            cells = [c for w in sheets if isinstance(w.get("cells"), list) for c in w["cells"]]
        if isinstance(cells, list):
            return cells
    raise InputError(
        f"cannot read {path}: it is not a Jupyter notebook (no list of cells)",
        hint="give -r a .ipynb notebook saved by Jupyter",
    )


def _pip_lines(tokens: list[str]) -> list[str]:
    """Requirements-file lines for pip's arguments: names and -r/-c/-e/index options."""
    lines: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        option, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if option in _PIP_VALUE or option in _PIP_IGNORED_VALUE:
            if not eq:
                i += 1
                value = tokens[i] if i < len(tokens) else ""
            if option in _PIP_VALUE and value:
                lines.append(f"{_PIP_VALUE[option]} {shlex.quote(value)}")
        elif token[:2] in ("-r", "-c", "-e", "-i") and len(token) > 2 and token[1] != "-":
            lines.append(f"{_PIP_VALUE[token[:2]]} {shlex.quote(token[2:])}")
        elif not token.startswith("-"):
            lines.append(token)
        i += 1
    return lines


def _conda(tokens: list[str]) -> list[str]:
    specs: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token.split("=", 1)[0] in _CONDA_VALUE:
            skip = "=" not in token
        elif not token.startswith("-"):
            specs.append(token)
    return specs


class _LineFinder:
    """The notebook-file line of a cell's line: its JSON string searched for from where the
    previous one was found (Jupyter writes one source line per file line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0

    def find(self, line: str) -> int | None:
        needle = json.dumps(line)[1:-1]
        at = self.text.find(needle, self.cursor)
        if at < 0:
            return None
        self.cursor = at + len(needle)
        return self.text.count("\n", 0, at) + 1
