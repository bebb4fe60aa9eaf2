"""Does a notebook cell install packages in a way the reader cannot read? Pure.

A notebook installs with ``%pip`` / ``!pip`` lines, which ``notebooks`` reads; it can also
install from a shell command pipvet cannot name (``!$P install x``, ``!bash -c "pip install
x"``) or from Python code (``subprocess.check_call([sys.executable, "-m", "pip", "install",
...])``, under any alias, with the command in a variable, the words split across strings).
Either would let packages in unchecked, so the reader refuses such a notebook.

No reading of code catches every install a stranger can hide (``exec`` of encoded text); this
one catches the ways people write them, and does not refuse ordinary notebooks for words: the
strings a cell only shows (``print``, ``raise``, a docstring, logging) are left out, and a cell
must run something (a call that runs a command or code) for its strings to count. A cell that
does not parse with pipvet's Python (newer syntax, a typo) is judged by its words instead.
"""

from __future__ import annotations

import ast
import re

__all__ = ["code_installs", "shell_installs"]

_QUOTES = re.compile(r"['\"\\]")
_INSTALLERS = r"(?:pip[0-9.]*|conda|mamba|micromamba|uv|poetry|pipenv|pdm)"
# An installer as a program anywhere in a command line (after env, xargs, bash -c, nohup, a
# subshell, a loop's "do"), followed by a word that makes it install. "pip:" in a commit
# message is no program.
_SHELL_INSTALL = re.compile(
    rf"(?:^|[\s/(;|&`]){_INSTALLERS}\s+(?:\S+\s+)*?(?:install|add|sync|update)\b"
    r"|(?:^|\s)(?:run|python[0-9.]*)\s+-m\s+\S+\s+(?:\S+\s+)*?install\b"
)
# A variable or substitution as the program, "install" right after it: $P install, {tool}
# install, p$()ip install ("$HOME/install" or "echo $X install" is none).
_VARIABLE_PROGRAM = re.compile(
    r"^(?:(?:sudo|command|exec|env|nohup|time)\s+)*\S*[$`{]\S*\s+install\b"
)
_INSTALLER = re.compile(rf"\b{_INSTALLERS}\b")
_INSTALL = re.compile(r"\b(?:install|add|sync)\b")
# Calls that run a command, a magic or code, by the name they are called by.
_RUNS = frozenset({
    "system", "popen", "run", "call", "check_call", "check_output", "Popen", "getoutput",
    "getstatusoutput", "spawnl", "spawnlp", "spawnv", "spawnvp", "execl", "execlp", "execv",
    "execvp", "run_line_magic", "run_cell_magic", "run_cell", "system_piped", "system_raw",
    "magic", "main", "run_module", "run_path", "create_subprocess_exec",
    "create_subprocess_shell", "exec", "eval", "import_module", "__import__",
})  # fmt: skip
# Calls whose arguments are only shown, never run.
_SHOWS = frozenset({
    "print", "display", "Markdown", "HTML", "warn", "warning", "info", "debug", "error",
    "exception", "critical", "log", "write", "echo", "format", "markdown",
})  # fmt: skip
# What a cell that does not parse must hold to be taken for an install: a call that runs.
_RUN_WORDS = re.compile(
    r"\b(?:system|popen|run|call|check_call|check_output|Popen|getoutput|spawn\w*|exec\w*|"
    r"eval|main|run_module|run_line_magic|run_cell|magic|system_raw|import_module)\s*\("
    r"|\bsubprocess\b|__import__"
)


def shell_installs(command: str) -> bool:
    """Whether one shell command line installs: an installer runs in it somewhere, or a
    variable or substitution is its program with "install" after it. A line that only prints
    (echo, printf) installs nothing."""
    plain = _QUOTES.sub("", command).strip()
    if plain.startswith(("echo ", "printf ")) and not re.search(r"[|;&`]|\$\(", plain):
        return False
    return bool(_SHELL_INSTALL.search(plain) or _VARIABLE_PROGRAM.match(plain))


def code_installs(source: str) -> int | None:
    """The line (1-based, in ``source``) where the cell's Python installs in a way the reader
    cannot read, else None (see the module docstring)."""
    try:
        tree = ast.parse(source)
        return _tree_installs(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _words_install(source)


def _tree_installs(tree: ast.AST) -> int | None:
    imports_pip = any(
        isinstance(node, ast.Import | ast.ImportFrom) and _from_pip(node) for node in ast.walk(tree)
    )
    runs = imports_pip or any(
        isinstance(node, ast.Call) and (_name(node.func) in _RUNS or _on_pip(node.func))
        for node in ast.walk(tree)
    )
    if not runs:
        return None
    shown = _shown_strings(tree)
    if imports_pip:  # pip's own functions, by whatever name: any "install" runs pip
        found = next(
            (n for n in ast.walk(tree) if id(n) not in shown and _INSTALL.search(_text(n))), None
        )
        if found is not None:
            return getattr(found, "lineno", 1)
    for node in ast.walk(tree):
        if id(node) in shown or not isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
            continue
        text = _text(node)
        if (_INSTALLER.search(text) and _INSTALL.search(text)) or shell_installs(text):
            return getattr(node, "lineno", 1)
    lists = (n for n in ast.walk(tree) if isinstance(n, ast.List | ast.Tuple))
    for node in lists:  # ["pip", "install", "x"], [sys.executable, "-m", "pip", "install"]
        if id(node) in shown:
            continue
        words = " ".join(_text(e) for e in node.elts)
        if _INSTALLER.search(words) and _INSTALL.search(words):
            return node.lineno
    for node in ast.walk(tree):  # pip.main(...), or the pip module by its name
        if isinstance(node, ast.Call) and _on_pip(node.func):
            return node.lineno
        if (
            isinstance(node, ast.Constant)
            and id(node) not in shown
            and isinstance(node.value, str)
            and (node.value == "pip" or node.value.startswith("pip."))
            and any(_INSTALL.search(_text(n)) for n in ast.walk(tree) if id(n) not in shown)
        ):
            return node.lineno
    return None


def _shown_strings(tree: ast.AST) -> set[int]:
    """The ids of string nodes (and lists) only shown: arguments of print and the like, what
    is raised, docstrings and bare string statements."""
    shown: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, ast.Call) and _name(node.func) in _SHOWS:
            parts = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Raise) and node.exc is not None:
            parts = [node.exc]
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            parts = [node.value]
        for part in parts:
            shown.update(id(n) for n in ast.walk(part))
    return shown


def _words_install(source: str) -> int | None:
    """For a cell that does not parse: the first line naming an installer and "install",
    when the cell runs something; comments left out."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    if not _RUN_WORDS.search("\n".join(lines)):
        return None
    for number, line in enumerate(source.splitlines(), start=1):
        plain = _QUOTES.sub("", line)
        if (
            not line.lstrip().startswith("#")
            and _INSTALLER.search(plain)
            and _INSTALL.search(plain)
        ):
            return number
    return None


def _from_pip(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "pip"
    return any(alias.name.split(".")[0] == "pip" for alias in node.names)


def _on_pip(func: ast.expr) -> bool:
    """``pip.main(...)``, ``pip._internal.main(...)``: a call on the pip module itself."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id == "pip"


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _text(node: ast.AST, depth: int = 0) -> str:
    """The words a value spells, as far as its literals tell: strings joined as Python joins
    them ("p" + "ip" is pip), list items as separate words, a value filled in at run time as
    "$" (a variable, as in a shell), anything else as nothing."""
    if depth > 100:  # a chain of 2,000 "+" is no install worth reading
        return ""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else ""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            "$" if isinstance(v, ast.FormattedValue) else _text(v, depth + 1) for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left, depth + 1) + _text(node.right, depth + 1)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return " ".join(_text(e, depth + 1) for e in node.elts)
    return ""
