"""The declared layer order of docs/architecture.md, checked on the AST import graph.

Every ``import``/``from ... import`` of a ``symfisher`` module counts, at module or function
level; only imports under ``if TYPE_CHECKING:`` (never executed) are ignored by the cycle
check, and still must respect the layers.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import symfisher
from symfisher.testing.architecture import LAYERS, render

PACKAGE = Path(symfisher.__file__).parent

RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _targets(node: ast.AST, modules: dict[str, Path]) -> list[str]:
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [f"{node.module}.{a.name}" for a in node.names] or [node.module]
        names = [n if n in modules else node.module for n in names]
    out = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.startswith("symfisher"):
            out.append(name)
    return out


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(all edges, runtime edges) between symfisher modules."""
    modules = _modules()
    every: dict[str, set[str]] = defaultdict(set)
    runtime: dict[str, set[str]] = defaultdict(set)
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = _type_checking_lines(tree)
        for node in ast.walk(tree):
            for target in _targets(node, modules):
                if target != mod:
                    every[mod].add(target)
                    if node.lineno not in hidden:
                        runtime[mod].add(target)
    return every, runtime


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_module_has_a_layer() -> None:
    unknown = sorted({_layer(m) for m in _modules()} - set(RANK))
    assert not unknown, f"add these to LAYERS and docs/architecture.md: {unknown}"


def test_imports_respect_the_layers() -> None:
    every, _ = _graph()
    upward = sorted(
        f"{src} -> {dst}" for src, dsts in every.items() for dst in dsts if RANK[_layer(dst)] > RANK[_layer(src)]
    )
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    _, runtime = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(runtime.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(runtime):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    """The graph includes imports inside functions (an exact small case)."""
    tree = ast.parse("def f():\n    from symfisher.errors import SymfisherError\n")
    found = [t for node in ast.walk(tree) for t in _targets(node, _modules())]
    assert found == ["symfisher.errors"]


def test_architecture_doc_is_current() -> None:
    """docs/architecture.md is generated from the tree; regenerate it when this fails:
    ``python -m symfisher.testing.architecture > docs/architecture.md``."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
    assert doc.read_text(encoding="utf-8") == render()
