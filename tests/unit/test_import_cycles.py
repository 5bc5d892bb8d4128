"""No import cycle in `visitcheck/` (issue 15, "Check").

The graph is read from the source with `ast`, so it sees every import, including
those written inside a function to dodge a cycle: a lazy import that closes a loop
is a cycle too (it only moves the failure from start-up to the first call)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "visitcheck"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The visitcheck modules `name` imports, at module level or inside a function.
    `from .x import y` counts as importing x.y when that is a module, else x.
    Imports under `if TYPE_CHECKING:` are left out: they never run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_checking_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                type_checking_only.update(id(n) for n in ast.walk(inner))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, path.name == "__init__.py", node)
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if child in modules else target)
    # Importing a.b.c runs a and a.b first, but a package importing its own
    # submodules is the package's business, not a cycle between capabilities.
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_finds_a_cycle_when_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_reader_sees_lazy_and_relative_imports():
    modules = all_modules()
    # visitcheck/__init__.py imports the API blueprint inside create_app.
    assert "visitcheck.api" in imports_of("visitcheck", PACKAGE / "__init__.py", modules)


def test_no_import_cycle_between_modules_of_visitcheck():
    found = cycles(import_graph())
    assert found == [], "import cycles (module-level or lazy): " + "; ".join(
        " <-> ".join(c) for c in found)


# The modules whose cycles were broken (issue 15), each imported first in a fresh
# interpreter: the graph above is the full check, this shows it matches Python's
# behaviour. Every module would take minutes on the shared CI machine.
ONCE_IN_A_CYCLE = ["visitcheck.api", "visitcheck.api_edge", "visitcheck.auth.views",
                   "visitcheck.checklists.service", "visitcheck.devices.api",
                   "visitcheck.notify.service", "visitcheck.rules.context",
                   "visitcheck.rules.service", "visitcheck.shell.views", "visitcheck.sync.api"]


@pytest.mark.parametrize("module", ONCE_IN_A_CYCLE)
def test_a_module_once_in_a_cycle_imports_alone_in_a_fresh_interpreter(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, cwd=PACKAGE.parent, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_change_feed_imports_no_capability():
    """visitcheck/feed/ sits below every capability (issue 15 step 1): they all record
    changes through it, so it may import only the base modules."""
    graph = import_graph()
    base = {"visitcheck.database"}
    feed = {name: targets for name, targets in graph.items()
            if name == "visitcheck.feed" or name.startswith("visitcheck.feed.")}
    assert feed, "visitcheck/feed/ exists"
    for name, targets in feed.items():
        outside = {t for t in targets if not t.startswith("visitcheck.feed")} - base
        assert outside == set(), name
    assert not any("visitcheck.sync.changes" in targets for targets in graph.values())
