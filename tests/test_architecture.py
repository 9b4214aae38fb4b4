"""The shape of the package (docs/architecture.md): one room per stage, dependencies that
point one way, and start-up paths that stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from support import REPO

PACKAGE = REPO / "digest"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path) -> set[str]:
    """Every digest module this one imports, at the top or inside a function (not the
    imports made for type checking only)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if type_checking_only(child):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{a.name}" for a in child.names)  # `from digest.x import module`
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in MODULES and name != "digest"}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle once (Tarjan's strongly connected components of more than one module,
    or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_module_imports_itself_back() -> None:
    graph = {name: imports(path) for name, path in MODULES.items()}
    assert sum(len(v) for v in graph.values()) > 100  # the walk sees the imports
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_package_init_is_empty() -> None:
    inits = sorted(PACKAGE.rglob("__init__.py"))
    assert len(inits) >= 9
    full = [str(p.relative_to(REPO)) for p in inits if p != PACKAGE / "__init__.py" and p.read_text().strip()]
    assert full == []


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return set(done.stdout.split())


def test_the_scheduler_does_not_import_the_renderer() -> None:
    loaded = loaded_after("digest.schedules.service")
    assert "digest.schedules.service" in loaded
    heavy = {"digest.editions.render", "digest.editions.markup", "jinja2", "markdown_it", "nh3", "icalendar"}
    assert loaded & heavy == set()
