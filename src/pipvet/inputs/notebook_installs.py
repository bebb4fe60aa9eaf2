"""Does a notebook cell install packages in a way the reader cannot read? Pure.

A notebook installs with ``%pip`` / ``!pip`` lines, which ``notebooks`` reads; but it can also
install from a shell command pipvet cannot name (``!$P install x``, ``!p''ip install x``) or
from Python code (``subprocess.check_call([sys.executable, "-m", "pip", "install", ...])``,
under any alias, over several lines, with the words split across strings). Either would let
packages in unchecked, so the reader refuses such a notebook. Python code is judged by its
syntax tree, not by words: ``print("pip install x")`` installs nothing, and a cell that does not
parse runs nothing.
"""

from __future__ import annotations

import ast
import re

__all__ = ["code_installs", "shell_installs"]

# A shell command whose program is an installer (after sudo, env, command), with a word that
# makes it install; quotes and backslashes taken out first, as the shell takes them out.
_SHELL_INSTALL = re.compile(
    r"^(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:-\S+\s+|\S+=\S*\s+)*)?(?:command\s+|exec\s+)?"
    r"(?:\S*/)?(?:pip[0-9.]*|conda|mamba|micromamba|uv|poetry|pipenv|pdm"
    r"|python[0-9.]*\s+-m\s+\S+)\s.*\b(?:install|add|sync|update)\b"
)
_QUOTES = re.compile(r"['\"\\]")
_INSTALLER = re.compile(r"\b(?:pip[0-9.]*|conda|mamba|micromamba|uv|poetry|pipenv|pdm)\b")
_INSTALL = re.compile(r"\b(?:install|add|sync)\b")
# Python calls that run a command or a magic, by the name they are called by.
_RUNS = frozenset({
    "system", "popen", "run", "call", "check_call", "check_output", "Popen", "getoutput",
    "getstatusoutput", "spawnl", "spawnlp", "spawnv", "spawnvp", "execl", "execlp", "execv",
    "execvp", "run_line_magic", "run_cell_magic", "run_cell", "system_piped", "main",
    "run_module", "run_path", "create_subprocess_exec", "create_subprocess_shell",
})  # fmt: skip


def shell_installs(command: str) -> bool:
    """Whether one shell command (no operators) installs: its program is an installer, or a
    variable or substitution stands before the word "install" (``$P install``, ``{tool}
    install``, ``p$()ip install``)."""
    plain = _QUOTES.sub("", command).strip()
    if _SHELL_INSTALL.match(plain):
        return True
    before, found, _ = plain.partition("install")
    return (
        bool(found)
        and re.search(r"\binstall\b", plain) is not None
        and bool(re.search(r"[$`{]", before))
    )


def code_installs(source: str) -> int | None:
    """The line (1-based, in ``source``) of the first call that runs a command or a magic
    naming an installer and "install", or that calls anything with "install" in a cell that
    imports pip; None when there is none, or the code does not parse (it would not run)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    imports_pip = any(
        isinstance(node, ast.Import | ast.ImportFrom) and _from_pip(node) for node in ast.walk(tree)
    )
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        words = " ".join(_text(a) for a in (*node.args, *(k.value for k in node.keywords)))
        if not _INSTALL.search(words):
            continue
        if (
            imports_pip
            or _on_pip(node.func)
            or (_name(node.func) in _RUNS and _INSTALLER.search(words))
        ):
            return node.lineno
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


def _text(node: ast.AST) -> str:
    """The words a value spells, as far as its literals tell: strings joined as Python joins
    them ("p" + "ip" is pip), list items as separate words, unknown values as nothing."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else ""
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return " ".join(_text(e) for e in node.elts)
    if isinstance(node, ast.Call):
        return " ".join(_text(a) for a in node.args)
    if isinstance(node, ast.Starred):
        return _text(node.value)
    return ""
