"""The modules a start of the app needs: what main.js reaches by static imports.

The app loads the screens a start does not need (the visit form, the people
editors, the caseload...) with `import()` when first needed
(static/app/screens/later.js). The page preloads only the start's modules, and
that list is read from the modules' own import statements rather than kept by
hand, so it cannot fall out of step with the code. The service worker still
precaches every module (service.py), so the rest loads offline too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path, PurePosixPath

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

_JS = Language(tree_sitter_javascript.language())
# `import ... from "x"`, `import "x"`, `export ... from "x"`; an `import("x")` call
# is a call_expression, so it is not among them.
_STATEMENTS = {"import_statement", "export_statement"}


def static_imports(source: bytes) -> list[str]:
    """The specifiers a module imports statically, in order (comments and strings
    that only look like imports are not statements, so they are not read)."""
    tree = Parser(_JS).parse(source)
    specifiers = []
    for node in tree.root_node.children:
        if node.type not in _STATEMENTS:
            continue
        origin = node.child_by_field_name("source")
        if origin is not None:
            specifiers.append(_string_value(origin, source))
    return specifiers


def _string_value(node: Node, source: bytes) -> str:
    return source[node.start_byte + 1:node.end_byte - 1].decode()


def statically_reachable(app_dir: Path, entry: str) -> tuple[str, ...]:
    """Every module reached from `entry` by static imports, entry included, as
    paths relative to `app_dir`, sorted. Only relative specifiers are followed
    (the app imports nothing else)."""
    reached: set[str] = set()
    waiting = [entry]
    while waiting:
        name = waiting.pop()
        if name in reached:
            continue
        reached.add(name)
        source = (app_dir / name).read_bytes()
        for specifier in static_imports(source):
            if specifier.startswith("."):
                waiting.append(_joined(PurePosixPath(name).parent, specifier))
    return tuple(sorted(reached))


def _joined(folder: PurePosixPath, specifier: str) -> str:
    parts: list[str] = list(folder.parts)
    for part in PurePosixPath(specifier).parts:
        if part == "..":
            if not parts:
                raise ValueError(f"{specifier} leaves the app's folder")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


@lru_cache(maxsize=8)
def start_modules(app_dir: str, version: str) -> tuple[str, ...]:
    """The start's modules for one version of the shell (the version changes with
    any file, so the graph is read once per version)."""
    del version  # the cache key: a new version of the files, a new graph
    return statically_reachable(Path(app_dir), "main.js")
