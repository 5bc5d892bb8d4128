"""The tablet app's screens (static/app/screens/, issue 15 step 6) import alone,
without side effects: nothing in the page changes and nothing runs until main.js
connects and starts them, so a screen can be tried on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from visitcheck import resource_dir

pytestmark = pytest.mark.browser

SCREENS_DIR = Path(resource_dir("static")) / "app" / "screens"
SCREENS = sorted(path.name for path in SCREENS_DIR.glob("*.js"))

IMPORT_ALONE = """
async (name) => {
  const before = document.documentElement.outerHTML;
  const databases = (await indexedDB.databases()).map((d) => d.name);
  const module = await import(`/static/app/screens/${name}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    exports: Object.keys(module).sort(),
    pageChanged: document.documentElement.outerHTML !== before,
    newDatabases: (await indexedDB.databases()).map((d) => d.name)
      .filter((n) => !databases.includes(n)),
  };
}
"""


@pytest.fixture
def blank(live_server, page):
    page.goto(f"{live_server.url}/offline")
    return page


@pytest.mark.parametrize("name", SCREENS)
def test_a_screen_module_imports_alone_without_touching_the_page(blank, name):
    result = blank.evaluate(IMPORT_ALONE, name)

    assert result["exports"], name
    assert not result["pageChanged"], name
    assert result["newDatabases"] == [], name


def test_a_way_between_screens_says_it_is_not_connected_until_main_connects_it(blank):
    message = blank.evaluate("""async () => {
      const { nav } = await import("/static/app/screens/nav.js");
      try { nav.renderList(); return null; } catch (error) { return error.message; }
    }""")

    assert message == "nav.renderList is not connected: main.js start() connects the screens"


def test_a_part_of_the_visit_screen_draws_alone_from_what_it_is_given(blank):
    text = blank.evaluate("""async () => {
      const { renderReview } = await import("/static/app/screens/visit-panels.js");
      const box = Object.assign(document.createElement("section"),
                                { id: "form-review", hidden: true });
      document.body.append(box);
      renderReview({ lead: "Sam Lead", decision: "return", comment: "Add who was seen.",
                     decided_at: "2026-11-03T10:00:00Z" });
      return box.hidden ? null : box.innerText;
    }""")

    assert text.startswith("Sam Lead returned it for changes on 3 Nov 2026")
    assert text.endswith("Add who was seen.")
