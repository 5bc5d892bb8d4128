"""Page objects for the browser tests: each method is one step a user takes."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Locator, Page, expect

SLOW = 30_000  # PBKDF2 with 600,000 rounds, service worker installs

WAIT_FOR_CONTROLLER = """
async (timeout) => {
  if (navigator.serviceWorker.controller) return true;
  return await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeout);
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
"""


class TabletApp:
    """The visitcheck app on a practitioner's tablet."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    @property
    def context(self) -> BrowserContext:
        return self.page.context

    # --- signing in and the vault ---------------------------------------------

    def sign_in(self, username: str, password: str) -> TabletApp:
        self.page.goto(f"{self.base_url}/login?next=/app")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/app$"))
        return self

    def open(self) -> TabletApp:
        self.page.goto(f"{self.base_url}/app")
        return self

    def set_passphrase(self, passphrase: str, confirm: str | None = None) -> TabletApp:
        expect(self.page.locator("#passphrase")).to_be_visible(timeout=SLOW)
        self.page.locator("#passphrase").fill(passphrase)
        self.page.locator("#passphrase-confirm").fill(passphrase if confirm is None else confirm)
        self.page.locator("#set-passphrase").click()
        if confirm is None:
            self.expect_caseload()
        return self

    def unlock(self, passphrase: str) -> TabletApp:
        expect(self.page.locator("#unlock-passphrase")).to_be_visible(timeout=SLOW)
        self.page.locator("#unlock-passphrase").fill(passphrase)
        self.page.locator("#unlock").click()
        return self

    def lock(self) -> TabletApp:
        self.page.get_by_role("button", name="Lock", exact=True).click()
        expect(self.page.locator("#unlock-passphrase")).to_be_visible()
        return self

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()

    def expect_caseload(self) -> TabletApp:
        expect(self.page.get_by_role("heading", name="Your caseload")).to_be_visible(timeout=SLOW)
        return self

    def wait_for_service_worker(self) -> TabletApp:
        # page.evaluate, not wait_for_function: the app's CSP forbids the eval the latter uses.
        controlled = self.page.evaluate(WAIT_FOR_CONTROLLER, SLOW)
        assert controlled, "no service worker took control of the page"
        return self

    def reload(self) -> TabletApp:
        self.page.reload()
        return self

    # --- connectivity -----------------------------------------------------------

    def go_offline(self) -> TabletApp:
        self.context.set_offline(True)
        return self

    def go_online(self) -> TabletApp:
        self.context.set_offline(False)
        return self

    # --- the caseload -----------------------------------------------------------

    def households(self) -> Locator:
        return self.page.locator("article.household")

    def household(self, index: int = 0) -> Locator:
        return self.households().nth(index)

    def household_address(self, index: int = 0) -> str:
        return self.household(index).get_by_role("heading").inner_text()

    def wait_for_households(self) -> TabletApp:
        expect(self.households().first).to_be_visible(timeout=SLOW)
        return self

    def start_new_visit(self, index: int = 0) -> VisitForm:
        self.household(index).get_by_role("button", name="New visit").click()
        form = VisitForm(self.page)
        expect(form.save_button).to_be_visible()
        return form

    def open_visit(self, household_index: int = 0, visit_index: int = 0) -> VisitForm:
        visit = self.household(household_index).locator("li.visit").nth(visit_index)
        visit.get_by_role("button", name="Open").click()
        return VisitForm(self.page)

    def sync_now(self) -> TabletApp:
        self.page.get_by_role("button", name="Sync now").click()
        return self

    def back_to_list(self) -> TabletApp:
        self.page.get_by_role("button", name="Back to list").click()
        return self.expect_caseload()

    def visits(self, household_index: int = 0) -> Locator:
        return self.household(household_index).locator("li.visit")

    # --- sync status --------------------------------------------------------------

    @property
    def status(self) -> Locator:
        return self.page.locator("#sync-status")

    def waiting(self) -> int:
        return int(self.status.get_attribute("data-waiting") or "0")

    def wait_until_synced(self, timeout: int = SLOW) -> TabletApp:
        expect(self.page.locator('#sync-status[data-waiting="0"]')).to_be_attached(timeout=timeout)
        expect(self.status).to_contain_text("All synced", timeout=timeout)
        return self


class VisitForm:
    """The checklist form for one visit."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def save_button(self) -> Locator:
        return self.page.get_by_role("button", name="Save draft")

    def field(self, name: str) -> Locator:
        return self.page.locator(f'[name="{name}"]')

    def choose(self, name: str, value: str) -> VisitForm:
        self.page.locator(f'input[name="{name}"][value="{value}"]').check()
        return self

    def fill_visit_section(
        self, *, present: str, visit_at: str = "2026-11-20T10:30", visit_type: str = "new_birth"
    ) -> VisitForm:
        """S1, answered in full: everybody seen, not seen alone (babies)."""
        self.page.get_by_label("Date and time of the visit").fill(visit_at)
        self.choose("visit.visit_type", visit_type)
        self.choose("visit.no_access", "false")
        self.page.get_by_label("Who was present").fill(present)
        for seen in self.page.locator(
            'input[name^="visit.children."][name$=".seen"][value="true"]'
        ).all():
            seen.check()
        for alone in self.page.locator(
            'input[name^="visit.children."][name$=".seen_alone"][value="no_not_age_appropriate"]'
        ).all():
            alone.check()
        return self

    def save_draft(self) -> VisitForm:
        self.save_button.click()
        expect(self.page.locator("#form-message")).to_contain_text("Draft saved")
        return self

    def submit(self) -> None:
        self.page.get_by_role("button", name="Submit").click()

    def error_at(self, name: str) -> Locator:
        return self.page.locator(f'[data-path="{name}"] .field-error')


class ReviewSite:
    """The team lead's review pages (server-rendered)."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def sign_in(self, username: str, password: str) -> ReviewSite:
        self.page.goto(f"{self.base_url}/login?next=/review")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        return self

    def open_queue(self) -> ReviewSite:
        self.page.goto(f"{self.base_url}/review")
        return self

    def row_for(self, household: str) -> Locator:
        return self.page.locator("table tbody tr", has_text=household)

    def return_with_comment(self, comment: str) -> ReviewSite:
        self.page.get_by_label("Return to the practitioner with a comment").check()
        self.page.get_by_label("Comment for the practitioner").fill(comment)
        self.page.get_by_role("button", name="Record decision").click()
        return self

    def open_checklist(self, household: str) -> ReviewSite:
        # The row's first link opens the checklist (its text names the household).
        self.row_for(household).get_by_role("link").first.click()
        return self
