"""The start's modules: what main.js reaches by static imports (visitcheck/shell/imports.py)."""

from __future__ import annotations

from pathlib import Path

from visitcheck.shell.imports import static_imports, statically_reachable


def test_static_imports_are_the_import_and_export_from_statements_not_import_calls():
    source = b"""
// import { nope } from "./commented.js";
import { a } from "./a.js";
import * as b from "../b.js";
import "./side-effect.js";
export { c } from "./c.js";
export * from "./d.js";
const text = 'import { e } from "./e.js"';
const later = () => import("./later.js");
export function f() { return import(`./g.js`); }
"""

    assert static_imports(source) == ["./a.js", "../b.js", "./side-effect.js", "./c.js", "./d.js"]


def test_the_reachable_modules_follow_static_imports_through_folders_once(tmp_path: Path):
    (tmp_path / "screens").mkdir()
    (tmp_path / "main.js").write_text(
        'import { s } from "./screens/s.js";\nconst v = () => import("./screens/v.js");\n')
    (tmp_path / "screens" / "s.js").write_text(
        'import { u } from "../util.js";\nimport { m } from "../main.js";\nexport const s = 1;\n')
    (tmp_path / "screens" / "v.js").write_text('import { big } from "../big.js";\n')
    (tmp_path / "util.js").write_text("export const u = 1;\n")
    (tmp_path / "big.js").write_text("export const big = 1;\n")

    assert statically_reachable(tmp_path, "main.js") == ("main.js", "screens/s.js", "util.js")
