"""No module of the tablet app over about 400 lines (issue 15, "Check").

A module that grows past it is doing more than one thing (STYLE.md 10: one
concern per ES module): split it by concern, as main.js was split into
static/app/screens/."""

from __future__ import annotations

from pathlib import Path

import pytest

from visitcheck import resource_dir

LIMIT = 400
APP_DIR = Path(resource_dir("static")) / "app"


MODULES = sorted(APP_DIR.rglob("*.js"))


def _name(path: Path) -> str:
    return path.relative_to(APP_DIR).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_app_has_modules_to_measure_in_its_subfolders_too():
    names = {_name(path) for path in MODULES}
    assert "main.js" in names
    assert any(name.startswith("screens/") for name in names)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_app_module_is_over_400_lines(path):
    lines = _lines(path)

    assert lines <= LIMIT, f"{_name(path)} has {lines} lines (at most {LIMIT}): split it by concern"
