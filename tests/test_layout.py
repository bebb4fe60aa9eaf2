"""The layout shows the architecture: capability folders, imports that point down, no cycles,
modules small enough to read in one sitting, and a docstring on every package."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pipvet"
MAX_LINES = 450

# A layer may import its own folder and anything listed here, never what sits above it.
# Top-level modules (models, errors, severity, policy, policy_file, policy_schema, redact) are
# shared by all.
LAYERS: dict[str, set[str]] = {
    "system": set(),
    "inputs": {"system"},
    "advisories": {"system"},
    "index": {"system"},
    "audit": {"system", "inputs", "advisories"},
    "vetting": {"system", "inputs", "advisories", "index", "audit"},
    "exposure": {"system"},
    "update": {"system", "inputs", "advisories", "index", "audit", "vetting", "project"},
    "project": {"system", "inputs", "advisories", "index", "audit", "exposure"},
    "sbom": {"system", "inputs", "advisories", "audit"},
    "fleet": {"system", "inputs", "advisories", "index", "audit", "project", "sbom"},
    "report": {"update", "project", "exposure", "vetting", "audit", "advisories", "fleet"},
    "cli": {
        "system", "inputs", "advisories", "index", "audit", "vetting", "exposure", "update",
        "project", "report", "sbom", "fleet",
    },
}  # fmt: skip
TOP_LEVEL = {
    "models", "errors", "severity", "policy", "policy_file", "policy_schema", "redact", "frozen",
    "pep440", "typing_free", "sha256", "__main__",
}  # fmt: skip


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every pipvet module this file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipvet"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipvet"))
    return {name for name in found if name in known}


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    return {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}


def test_the_layout_has_a_folder_per_capability() -> None:
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders >= set(LAYERS)
    assert "workflow" not in folders


def test_no_module_is_longer_than_one_sitting() -> None:
    long = {
        name: n
        for name, path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_says_what_it_is_and_what_it_may_import() -> None:
    for name, path in _modules():
        if path.name == "__init__.py" and name != "pipvet":
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            assert doc is not None, name
            assert len(doc.split()) >= 15, f"{name}: the docstring is a placeholder"


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_imports_point_down(layer: str) -> None:
    upward: list[str] = []
    for module, deps in _graph().items():
        if _layer(module) != layer:
            continue
        for dep in deps:
            target = _layer(dep)
            top = dep.split(".")[1] if dep.count(".") == 1 else None
            if target is None and (top in TOP_LEVEL or dep == "pipvet"):
                continue
            if target not in {layer, *LAYERS[layer]}:
                upward.append(f"{module} -> {dep}")
    assert upward == []


def test_no_import_cycles() -> None:
    graph = _graph()
    # Package __init__ modules hold no imports; importing "pipvet.x.y" also names "pipvet.x".
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []
