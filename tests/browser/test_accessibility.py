"""axe-core in Chromium reports no violations on the review queue, the checklist page,
the alerts page, the family map and the administration pages; their controls are at
least 44 px high."""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Page

from tests.review_support import (
    alerted_households,
    hold_household,
    link,
    person_id,
    record_concern,
    set_checklist,
    submit_checklist,
)

# axe-core as bundled by the axe-playwright-python package (MPL-2.0). It is added as an
# init script over the DevTools protocol, which the pages' CSP (script-src 'self') allows.
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"

RUN_AXE = """
async () => {
  const result = await axe.run(document);
  return {
    passes: result.passes.length,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    })),
  };
}
"""

SMALL_CONTROLS = """
() => [...document.querySelectorAll(
    "main button, main select, main input:not([type=hidden]), main textarea, " +
    "main a.button, main table a, main nav a, header button, header nav a")]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.getBoundingClientRect();
    const small = el.type === "checkbox" || el.type === "radio"
      ? box.height < 24 : box.height < 44;
    return small ? `${el.tagName} ${el.name || el.textContent.trim()}: ${box.height}px` : null;
  })
  .filter(Boolean)
"""


@pytest.fixture
def scenario(app, demo, api_client) -> dict:
    hv = api_client("hv")
    record_concern(app, hv, demo)
    school = demo.school_households[0]
    hold_household(app, "hv", school)
    craig = person_id(app, demo.households[1], "Craig Whitfield")
    link(hv, school, craig)
    flat6 = demo.households[1]
    checklist = submit_checklist(hv, flat6, demo.children[flat6])
    set_checklist(app, checklist, flags=[("poc-contact", "urgent"), ("mappa-check", "action")])
    return {"checklist": checklist, "household": flat6, "device": hv.device_id,
            "user": demo.users["hv"], "child": demo.children[flat6][0]}


def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(review|app)$"))


def _check(page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    result = page.evaluate(RUN_AXE)
    assert result["passes"] > 10, "axe-core did not run its rules"
    problems = [f"{url}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                for v in result["violations"]]
    problems += [f"{url}: too small: {c}" for c in page.evaluate(SMALL_CONTROLS)]
    return problems


def test_review_pages_have_no_accessibility_violations(live_server, demo, scenario,
                                                        page: Page):
    page.context.add_init_script(path=str(AXE))
    base = live_server.url
    _sign_in(page, base, "lead", demo.PASSWORD)
    problems = []
    for path in ["/review", "/review?flag=poc-contact", f"/review/{scenario['checklist']}",
                 "/review/alerts", f"/map/{scenario['household']}",
                 f"/visits/plan/{scenario['household']}"]:
        problems += _check(page, base + path)
    assert problems == []


def test_the_alerts_page_in_pages_has_no_accessibility_violations(app, live_server, demo,
                                                                  scenario, page: Page):
    alerted_households(app, [(1, 0, n) for n in range(25)])
    page.context.add_init_script(path=str(AXE))
    base = live_server.url
    _sign_in(page, base, "lead", demo.PASSWORD)
    problems = []
    for path in ["/review/alerts", "/review/alerts?page=2"]:
        problems += _check(page, base + path)
        assert page.get_by_role("navigation", name="Pages").is_visible()
    assert problems == []


def test_administration_pages_have_no_accessibility_violations(live_server, demo, scenario,
                                                                page: Page):
    page.context.add_init_script(path=str(AXE))
    base = live_server.url
    held = live_server.app.test_cli_runner().invoke(args=[
        "retention", "hold", "add", "--household", scenario["household"], "--reason", "Order"])
    assert held.exit_code == 0, held.output  # the holds page then shows a release form
    _sign_in(page, base, "admin", demo.PASSWORD)
    problems = []
    for path in ["/admin", "/admin/users", f"/admin/users/{scenario['user']}",
                 "/admin/caseloads", "/admin/caseloads?q=alder", "/admin/devices",
                 f"/admin/devices/{scenario['device']}/revoke", "/admin/templates",
                 "/admin/audit", "/admin/audit?who=hv", "/admin/holds",
                 "/admin/access", f"/admin/access?person={scenario['child']}"]:
        problems += _check(page, base + path)
    assert problems == []
