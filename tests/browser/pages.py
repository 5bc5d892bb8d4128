"""Page objects for the browser tests: each method is one step a user takes."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Locator, Page, expect

SLOW = 30_000  # PBKDF2 with 600,000 rounds, service worker installs
PASSPHRASE = "correct horse battery"  # the vault passphrase every browser test sets
PUSH = "**/api/v1/sync/push"  # the push endpoint, for page.route

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


def add_row(page: Page, label: str) -> Locator:
    """Add a row to a row group of the visit form (S8: "Referrals", "Actions") and
    return it."""
    page.get_by_role("button", name=f"Add to {label}").click()
    return page.locator(f'fieldset.field-group:has(> legend:text-is("{label}")) '
                        "fieldset.row").last


def online_contact_with_person_of_concern(form: VisitForm) -> None:
    """S7: the child has known online contact with a person of concern (urgent)."""
    form.page.locator('input[name^="technology.children."][name$=".online_contact"]'
                      '[value="person_of_concern"]').first.check()


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

    def change_passphrase(self, current: str, new: str) -> TabletApp:
        self.page.get_by_role("button", name="Change offline passphrase").click()
        self.page.locator("#current-passphrase").fill(current)
        self.page.locator("#new-passphrase").fill(new)
        self.page.locator("#new-passphrase-confirm").fill(new)
        self.page.get_by_role("button", name="Change passphrase", exact=True).click()
        return self

    def forget_passphrase(self) -> Locator:
        """Say the passphrase is forgotten; returns the confirmation (or error) area."""
        self.page.get_by_role("button", name="I have forgotten my offline passphrase").click()
        return self.page.locator("#forgot-confirm")

    def export_unsynced(self):
        """Export the outbox; returns Playwright's Download for the file."""
        with self.page.expect_download() as download:
            self.page.get_by_role("button", name="Export unsynced items").click()
        return download.value

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

    def open_caseload(self) -> TabletApp:
        """The caseload is one tap from Today, which the app opens on."""
        self.page.get_by_role("link", name="Caseload", exact=True).click()
        expect(self.page.locator("#caseload-title")).to_be_focused()
        return self

    def today_items(self, kind: str | None = None) -> Locator:
        """Today's items (today.js), of one kind (planned, no_access, action, referral,
        returned, alert) or all."""
        where = f'[data-kind="{kind}"]' if kind else ""
        return self.page.locator(f"#today li.today-item{where}")

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

    def household_index(self, address_part: str) -> int:
        """The position in the caseload list of the household whose address contains this."""
        addresses = self.households().get_by_role("heading").all_inner_texts()
        return next(i for i, text in enumerate(addresses) if address_part in text)

    def open_people(self, index: int = 0) -> PeopleScreen:
        self.household(index).get_by_role("button", name="People").click()
        return PeopleScreen(self.page).expect_household()

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
        """Submit, and confirm the summary shown first (not shown when answers are missing)."""
        self.page.get_by_role("button", name="Submit").click()
        confirm = self.page.locator("#submit-confirm")
        if confirm.is_visible():
            confirm.click()

    def open_submit_summary(self) -> Locator:
        """Press Submit and stop at the summary: what is left open, each item a way to it."""
        self.page.get_by_role("button", name="Submit").click()
        summary = self.page.locator("#submit-summary")
        expect(summary).to_be_visible()
        return summary

    def error_at(self, name: str) -> Locator:
        return self.page.locator(f'[data-path="{name}"] .field-error')

    # --- people, per-person answers and live flags -------------------------------

    def person_group(self, group_path: str, person_name: str) -> Locator:
        """One person's instance of a repeated group (e.g. "parents.parents")."""
        return self.page.locator(f'[data-path="{group_path}"] > fieldset.group-instance').filter(
            has=self.page.locator("legend", has_text=person_name)
        )

    def answer_for(self, group_path: str, person_name: str, field: str, value: str) -> VisitForm:
        key = self.person_group(group_path, person_name).get_attribute("data-key")
        return self.choose(f"{group_path}.{key}.{field}", value)

    def flag(self, rule: str) -> Locator:
        return self.page.locator(f'#form-flags [data-rule="{rule}"]')

    def own_flag(self, rule: str) -> Locator:
        """A flag the tablet raised itself (not one from the team's records as at the
        last sync)."""
        return self.page.locator(f'#form-flags [data-rule="{rule}"]:not([data-source="team"])')

    def shown_flag_rules(self) -> set[str]:
        rules = self.page.locator("#form-flags [data-rule]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.rule)"
        )
        return set(rules)

    def open_people(self) -> PeopleScreen:
        self.page.get_by_role("button", name="People in this household").click()
        return PeopleScreen(self.page).expect_household()

    def s3(self) -> S3Section:
        return S3Section(self)

    def add_new_member(self, **details) -> str:
        """S2: add a row to "People not recorded before"; returns the row's key."""
        group = self.page.locator('[data-path="household.new_members"]')
        group.get_by_role("button", name="Add to People not recorded before").click()
        row = group.locator("fieldset.row").last
        key = row.get_attribute("data-row") or ""
        self.fill_new_member(key, **details)
        return key

    def fill_new_member(self, key: str, **details) -> VisitForm:
        base = f"household.new_members.{key}"
        # Choices first: the description shows once "refused" is chosen.
        for field in ("is_child", "cares_unsupervised"):
            if field in details:
                self.choose(f"{base}.{field}", str(bool(details[field])).lower())
        for field in ("sex", "residence", "parental_responsibility", "details_source"):
            if field in details:
                self.choose(f"{base}.{field}", details[field])
        for field in ("names", "aliases", "date_of_birth", "estimated_age", "relationship",
                      "details_description"):
            if field in details:
                self.field(f"{base}.{field}").fill(str(details[field]))
        return self


class S3Section:
    """S3 of a visit: what is known about risky adults, the concern records."""

    def __init__(self, form: VisitForm):
        self.form = form
        self.page = form.page

    def add_person_of_concern(self, name: str) -> S3Section:
        chooser = self.page.locator('[data-path="risky_adults.concerns"] .add-person')
        label = "Another adult of this household with a concern about them"
        chooser.get_by_label(label).select_option(label=name)
        chooser.get_by_role("button", name="Add what is known about them").click()
        expect(self.form.person_group("risky_adults.concerns", name)).to_have_count(1)
        return self

    def key(self, name: str) -> str:
        return self.form.person_group("risky_adults.concerns", name).get_attribute("data-key") or ""

    def record(
        self,
        name: str,
        *,
        basis: list[str] | None = None,
        source: str | None = None,
        contact: dict[str, str] | None = None,
    ) -> S3Section:
        group = self.form.person_group("risky_adults.concerns", name)
        base = f"risky_adults.concerns.{self.key(name)}"
        for value in basis or []:
            self.form.choose(f"{base}.basis", value)
        if source is not None:
            self.form.field(f"{base}.source").fill(source)
        for child, level in (contact or {}).items():
            row = self.form.person_group(f"{base}.contact", child)
            child_key = row.get_attribute("data-key")
            self.form.choose(f"{base}.contact.{child_key}.contact", level)
        assert group.count() == 1
        return self


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

    def approve(self) -> ReviewSite:
        self.page.get_by_label("Approve", exact=True).check()
        self.page.get_by_role("button", name="Record decision").click()
        return self

    def open_checklist(self, household: str) -> ReviewSite:
        # The row's first link opens the checklist (its text names the household).
        self.row_for(household).get_by_role("link").first.click()
        return self


class PeopleScreen:
    """The people of one household on the tablet: add, edit, concerns, links."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.locator("#people-title")

    @property
    def address(self) -> Locator:
        return self.page.locator("#people-household")

    def expect_household(self) -> PeopleScreen:
        expect(self.heading).to_have_text("People in this household", timeout=SLOW)
        return self

    def person(self, name: str) -> Locator:
        return self.page.locator("li.person").filter(
            has=self.page.locator(".person-name", has_text=name)
        )

    def person_id(self, name: str) -> str:
        return self.person(name).get_attribute("data-person") or ""

    def back(self) -> None:
        self.page.locator("#people-body .form-head").get_by_role("button").first.click()

    # --- a person -------------------------------------------------------------------

    def add_person(self, **details) -> PeopleScreen:
        self.page.get_by_role("button", name="Add a person").click()
        return self._fill_person(**details)

    def edit_person(self, name: str, **details) -> PeopleScreen:
        self.person(name).get_by_role("button", name="Edit", exact=True).click()
        return self._fill_person(**details)

    def _fill_person(
        self,
        *,
        name: str | None = None,
        aliases: str | None = None,
        child: bool | None = None,
        date_of_birth: str | None = None,
        estimated_age: int | None = None,
        sex: str | None = None,
        residence: str | None = None,
        children: dict[str, dict] | None = None,
        same_as_first: bool = False,
    ) -> PeopleScreen:
        """same_as_first: where a child's details are the first child's, tap "Same as
        for <first child>" (samefor.js) instead of answering them again."""
        form = self.page.locator("#person-form")
        expect(form).to_be_visible()
        if name is not None:
            form.get_by_label("Name, or a description").fill(name)
        if aliases is not None:
            form.get_by_label("Other names or aliases").fill(aliases)
        if child is not None:
            form.locator(f'input[name="is_child"][value="{str(child).lower()}"]').check()
        if date_of_birth is not None:
            form.get_by_label("Date of birth", exact=True).fill(date_of_birth)
        if estimated_age is not None:
            form.get_by_label("Estimated age").fill(str(estimated_age))
        if sex is not None:
            form.locator(f'input[name="sex"][value="{sex}"]').check()
        if residence is not None:
            form.locator(f'input[name="residence"][value="{residence}"]').check()
        links = list((children or {}).items())
        if same_as_first and links:  # in the form's order: the first child there is copied
            shown = form.locator("fieldset.group-instance > legend").all_inner_texts()
            links.sort(key=lambda item: shown.index(item[0]) if item[0] in shown else len(shown))
        for position, (child_name, link) in enumerate(links):
            first_name, first_link = links[0]
            if same_as_first and position > 0 and link == first_link:
                row = form.locator("fieldset.group-instance").filter(
                    has=self.page.locator("legend", has_text=child_name))
                row.get_by_role("button", name=f"Same as for {first_name}").click()
                expect(row.locator(".same-as-note")).to_contain_text("copied from")
                continue
            self._fill_child_link(form, child_name, link)
        form.locator("button[type=submit]").click()
        expect(self.page.locator("#people-message")).to_contain_text("on this device")
        return self

    def _fill_child_link(self, form: Locator, child_name: str, link: dict) -> None:
        row = form.locator("fieldset.group-instance").filter(
            has=self.page.locator("legend", has_text=child_name)
        )
        key = f"child.{row.get_attribute('data-child')}"
        if "relationship" in link:
            row.get_by_label(f"Relationship to {child_name}").fill(link["relationship"])
        for field in ("parental_responsibility", "details_source"):
            if field in link:
                row.locator(f'input[name="{key}.{field}"][value="{link[field]}"]').check()
        for field in ("cares_unsupervised", "seen_by_practitioner"):
            if field in link:
                value = str(bool(link[field])).lower()
                row.locator(f'input[name="{key}.{field}"][value="{value}"]').check()
        if "details_description" in link:
            row.get_by_label("Description").fill(link["details_description"])

    # --- a concern about an adult ------------------------------------------------------

    def record_concern(
        self,
        name: str,
        *,
        basis: list[str],
        source: str,
        source_date: str | None = None,
        verified: bool | None = None,
        protect_source: bool | None = None,
        fact_or_opinion: str | None = None,
        mappa_category: str | None = None,
        mappa_level: str | None = None,
        orders: str | None = None,
        works_with_children: str | None = None,
        contact: dict[str, str] | None = None,
    ) -> PeopleScreen:
        self.person(name).get_by_role("button", name=re.compile("concern")).click()
        form = self.page.locator("#concern-form")
        expect(form).to_be_visible()
        for value in basis:
            form.locator(f'input[name="basis"][value="{value}"]').check()
        form.get_by_label("Source of the information").fill(source)
        if source_date is not None:
            form.get_by_label("Date of the information").fill(source_date)
        choices = {
            "verified": None if verified is None else str(verified).lower(),
            "protect_source": None if protect_source is None else str(protect_source).lower(),
            "fact_or_opinion": fact_or_opinion,
            "mappa_category": mappa_category,
            "mappa_level": mappa_level,
            "works_with_children": works_with_children,
        }
        for field, value in choices.items():
            if value is not None:
                form.locator(f'input[name="{field}"][value="{value}"]').check()
        if orders is not None:
            form.get_by_label("Orders or conditions").fill(orders)
        for child_name, level in (contact or {}).items():
            group = form.get_by_role("group", name=f"Contact with {child_name}")
            group.locator(f'input[value="{level}"]').check()
        form.locator("button[type=submit]").click()
        expect(self.page.locator("#people-message")).to_contain_text("Concern about")
        return self

    # --- links to other households ------------------------------------------------------

    def link_to_household(
        self,
        name: str,
        *,
        residence: str,
        new_address: str | None = None,
        existing_address: str | None = None,
    ) -> PeopleScreen:
        """Link a person to another household; the screen then shows that household."""
        self.person(name).get_by_role("button", name="Link to another household").click()
        form = self.page.locator("#link-form")
        expect(form).to_be_visible()
        which = form.get_by_role("group", name="Which household")
        if new_address is not None:
            which.get_by_label("A new household").check()
            form.get_by_label("Address of the new household").fill(new_address)
        else:
            which.get_by_label(existing_address or "", exact=False).check()
        form.locator(f'input[name="residence"][value="{residence}"]').check()
        form.locator("button[type=submit]").click()
        expect(self.page.locator("#people-message")).to_contain_text("Linked")
        return self
