"""The checklist form is rendered generically from template JSON."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, TabletApp

pytestmark = pytest.mark.browser


TEMPLATE = {
    "template": "every-type",
    "version": 3,
    "title": "Every field type",
    "sections": [
        {
            "id": "one",
            "code": "T1",
            "title": "Plain fields",
            "fields": [
                {
                    "id": "note",
                    "type": "text",
                    "label": "Note",
                    "required": True,
                    "help": "Say it briefly",
                },
                {"id": "story", "type": "text", "multiline": True, "label": "Story"},
                {"id": "born", "type": "date", "label": "Born"},
                {"id": "when", "type": "datetime", "label": "When"},
                {"id": "count", "type": "number", "label": "Count"},
                {"id": "agreed", "type": "boolean", "label": "Agreed", "required": True},
                {
                    "id": "why_not",
                    "type": "text",
                    "label": "Why not",
                    "required": True,
                    "show_if": {"field": "agreed", "equals": False},
                },
                {
                    "id": "colour",
                    "type": "choice",
                    "label": "Colour",
                    "options": [
                        {"value": "red", "label": "Red"},
                        {"value": "green", "label": "Green"},
                    ],
                },
                {
                    "id": "signs",
                    "type": "multi",
                    "label": "Signs",
                    "required": True,
                    "options": [
                        {"value": "a", "label": "Sign A"},
                        {"value": "b", "label": "Sign B"},
                        {"value": "c", "label": "Sign C"},
                    ],
                },
            ],
        },
        {
            "id": "two",
            "code": "T2",
            "title": "Groups",
            "fields": [
                {
                    "id": "contact",
                    "type": "group",
                    "label": "Contact",
                    "fields": [{"id": "phone", "type": "text", "label": "Phone"}],
                },
                {
                    "id": "kids",
                    "type": "group",
                    "repeat": "children",
                    "label": "Each child",
                    "fields": [
                        {"id": "seen", "type": "boolean", "label": "Seen", "required": True},
                        {
                            "id": "where",
                            "type": "text",
                            "label": "Where",
                            "required": True,
                            "show_if": {"field": "seen", "equals": True},
                        },
                    ],
                },
            ],
        },
    ],
}

HOUSEHOLD = {
    "id": "h1",
    "address": "1 Test Street",
    "members": [
        {
            "person_id": "p-adult",
            "name": "Pat Adult",
            "is_child": False,
            "date_of_birth": "1990-01-01",
        },
        {
            "person_id": "p-kid-1",
            "name": "Kim Child",
            "is_child": True,
            "date_of_birth": "2020-06-15",
        },
        {"person_id": "p-kid-2", "name": "Lou Child", "is_child": True, "date_of_birth": None},
    ],
}

ROWS_TEMPLATE = {
    "template": "rows",
    "version": 1,
    "title": "Rows and people",
    "sections": [
        {
            "id": "visit",
            "code": "R1",
            "title": "Visit",
            "fields": [
                {"id": "visit_at", "type": "datetime", "label": "Visit at"},
                {
                    "id": "reminder",
                    "type": "note",
                    "label": "Remember",
                    "text": "No disclosure is not no abuse.",
                },
            ],
        },
        {
            "id": "people",
            "code": "R2",
            "title": "People",
            "fields": [
                {
                    "id": "everyone",
                    "type": "group",
                    "repeat": "members",
                    "label": "Each member",
                    "fields": [{"id": "seen", "type": "boolean", "label": "Seen"}],
                },
                {
                    "id": "kids",
                    "type": "group",
                    "repeat": "children",
                    "label": "Each child",
                    "fields": [{"id": "band", "type": "age_band", "label": "Age band"}],
                },
                {
                    "id": "actions",
                    "type": "group",
                    "repeat": "rows",
                    "label": "Actions",
                    "fields": [
                        {"id": "action", "type": "text", "label": "Action", "required": True}
                    ],
                },
            ],
        },
    ],
}

MOUNT = """
async ({template, household, answers}) => {
  const { renderChecklist } = await import("/static/app/form.js");
  if (!document.querySelector('link[href="/static/css/app.css"]')) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/css/app.css";
    const loaded = new Promise((resolve) => { css.onload = resolve; });
    document.head.append(css);
    await loaded;
  }
  const form = renderChecklist({ template, household, answers });
  const holder = document.createElement("form");
  holder.id = "under-test";
  holder.append(form.element);
  document.body.replaceChildren(holder);
  window.underTest = form;
}
"""


@pytest.fixture
def shell(live_server, page):
    # Any same-origin page will do to import the module; /offline runs no app code.
    page.goto(f"{live_server.url}/offline")
    return page


def mount(page, answers=None, template=TEMPLATE):
    page.evaluate(MOUNT, {"template": template, "household": HOUSEHOLD, "answers": answers or {}})


def test_every_field_type_is_collected_in_the_answers_shape(shell):
    page = shell
    mount(page)
    page.get_by_label("Note").fill("hello")
    page.get_by_label("Story").fill("line one\nline two")
    page.get_by_label("Born").fill("2020-02-29")
    page.get_by_label("When").fill("2026-11-20T10:30")
    page.get_by_label("Count").fill("3")
    page.get_by_role("group", name="Agreed").get_by_label("Yes").check()
    page.get_by_label("Green").check()
    page.get_by_label("Sign A").check()
    page.get_by_label("Sign C").check()
    page.get_by_label("Phone").fill("01234")
    page.get_by_role("group", name="Kim Child").get_by_label("Yes").check()
    page.get_by_role("group", name="Kim Child").get_by_label("Where").fill("kitchen")
    page.get_by_role("group", name="Lou Child").get_by_label("No").check()

    answers = page.evaluate("window.underTest.answers()")

    assert answers == {
        "one": {
            "note": "hello",
            "story": "line one\nline two",
            "born": "2020-02-29",
            "when": answers["one"]["when"],
            "count": 3,
            "agreed": True,
            "colour": "green",
            "signs": ["a", "c"],
        },
        "two": {
            "contact": {"phone": "01234"},
            "kids": {"p-kid-1": {"seen": True, "where": "kitchen"}, "p-kid-2": {"seen": False}},
        },
    }
    assert answers["one"]["when"].endswith("Z")


def test_fields_have_names_labels_and_no_autocomplete(shell):
    page = shell
    mount(page)
    assert page.locator('[name="one.note"]').get_attribute("autocomplete") == "off"
    assert page.locator('[name="two.kids.p-kid-1.seen"]').count() == 2
    for control in page.locator("#under-test input, #under-test textarea").all():
        control_id = control.get_attribute("id")
        assert page.locator(f'label[for="{control_id}"]').count() == 1, control_id
        assert control.get_attribute("autocomplete") == "off"
    expect(page.get_by_role("group", name="T1 · Plain fields")).to_be_visible()
    expect(page.get_by_text("Say it briefly")).to_be_visible()


def test_show_if_hides_a_field_until_its_sibling_has_the_value(shell):
    page = shell
    mount(page)
    why_not = page.get_by_label("Why not")
    expect(why_not).to_be_hidden()

    page.get_by_role("group", name="Agreed").get_by_label("No").check()
    expect(why_not).to_be_visible()
    why_not.fill("because")
    page.get_by_role("group", name="Agreed").get_by_label("Yes").check()

    expect(why_not).to_be_hidden()
    assert "why_not" not in page.evaluate("window.underTest.answers()")["one"]


def test_saved_answers_are_shown_again(shell):
    page = shell
    mount(
        page,
        answers={
            "one": {
                "note": "kept",
                "agreed": False,
                "why_not": "reason",
                "signs": ["b"],
                "when": "2026-11-20T10:30:00.000Z",
            },
            "two": {"kids": {"p-kid-2": {"seen": True, "where": "garden"}}},
        },
    )

    expect(page.get_by_label("Note")).to_have_value("kept")
    expect(page.get_by_label("Why not")).to_have_value("reason")
    expect(page.get_by_label("Sign B")).to_be_checked()
    expect(page.get_by_role("group", name="Lou Child").get_by_label("Where")).to_have_value(
        "garden"
    )
    answers = page.evaluate("window.underTest.answers()")
    assert answers["one"]["when"] == "2026-11-20T10:30:00.000Z"


def test_required_fields_are_reported_only_where_visible(shell):
    page = shell
    mount(page)
    page.get_by_role("group", name="Kim Child").get_by_label("Yes").check()

    errors = page.evaluate("window.underTest.validate()")

    fields = sorted(error["field"] for error in errors)
    assert fields == [
        "one.agreed",
        "one.note",
        "one.signs",
        "two.kids.p-kid-1.where",
        "two.kids.p-kid-2.seen",
    ]


def test_server_errors_are_shown_at_their_field(shell):
    page = shell
    mount(page, answers={"one": {"note": "typed"}})

    unmatched = page.evaluate("""window.underTest.showErrors([
        {field: "one.note", message: "Too vague"}, {field: "nowhere", message: "Elsewhere"}])""")

    expect(page.locator('[data-path="one.note"] .field-error')).to_have_text("Error: Too vague")
    expect(page.get_by_label("Note")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Note")).to_have_value("typed")
    assert unmatched == [{"field": "nowhere", "message": "Elsewhere"}]


def test_rows_are_added_and_removed_and_keyed_by_a_row_id(shell):
    page = shell
    mount(page, template=ROWS_TEMPLATE)
    add = page.get_by_role("button", name="Add to Actions")

    add.click()
    actions = page.get_by_role("textbox", name="Action")
    actions.nth(0).fill("Refer today")
    add.click()
    actions.nth(1).fill("Tell the GP")
    page.get_by_role("button", name="Remove Actions: 1").click()

    actions = page.evaluate("window.underTest.answers()")["people"]["actions"]
    assert list(actions.values()) == [{"action": "Tell the GP"}]
    add.click()
    errors = page.evaluate("window.underTest.validate()")
    assert len(errors) == 1
    assert errors[0]["field"].endswith(".action")


def test_saved_rows_come_back(shell):
    page = shell
    mount(
        page,
        template=ROWS_TEMPLATE,
        answers={"people": {"actions": {"r1": {"action": "one"}, "r2": {"action": "two"}}}},
    )

    expect(page.get_by_role("textbox", name="Action")).to_have_count(2)
    actions = page.evaluate("window.underTest.answers()")["people"]["actions"]
    assert actions == {"r1": {"action": "one"}, "r2": {"action": "two"}}


def test_notes_and_age_bands_are_shown_not_answered(shell):
    page = shell
    mount(page, template=ROWS_TEMPLATE)
    page.get_by_label("Visit at").fill("2026-11-20T10:30")

    expect(page.get_by_text("No disclosure is not no abuse.")).to_be_visible()
    kim = page.locator('[data-path="people.kids.p-kid-1"]')
    expect(kim).to_contain_text("Age band: 5–9")
    expect(page.locator('[data-path="people.kids.p-kid-2"]')).to_contain_text(
        "date of birth not recorded"
    )
    page.get_by_label("Visit at").fill("2025-06-14T10:30")
    expect(kim).to_contain_text("Age band: 0–5")
    answers = page.evaluate("window.underTest.answers()")
    assert "reminder" not in answers["visit"]
    assert "kids" not in answers["people"]


def test_a_members_group_repeats_for_everyone_in_the_household(shell):
    page = shell
    mount(page, template=ROWS_TEMPLATE)

    everyone = page.locator('[data-path="people.everyone"]')
    for name in ("Pat Adult", "Kim Child", "Lou Child"):
        expect(everyone.get_by_role("group", name=name)).to_be_visible()
    everyone.get_by_role("group", name="Pat Adult").get_by_label("Yes").check()
    assert page.evaluate("window.underTest.answers()")["people"]["everyone"] == {
        "p-adult": {"seen": True}
    }


def test_an_error_about_a_whole_instance_is_shown_on_it(shell):
    page = shell
    mount(page)

    unmatched = page.evaluate("""window.underTest.showErrors([
        {field: "two.kids.p-kid-1", message: "is required for each child"}])""")

    assert unmatched == []
    expect(page.get_by_role("group", name="Kim Child")).to_contain_text(
        "Error: is required for each child"
    )


def test_submit_with_missing_answers_shows_errors_and_keeps_what_was_typed(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    form = app.start_new_visit(0)
    form.choose("visit.no_access", "false")
    page.get_by_label("Who was present").fill("Mother")

    form.submit()

    expect(form.error_at("visit.visit_at")).to_be_visible()
    expect(form.error_at("visit.visit_type")).to_be_visible()
    expect(form.error_at("visit.present")).to_be_hidden()
    expect(page.locator("#form-errors")).to_contain_text("There is a problem")
    expect(form.field("visit.present")).to_have_value("Mother")
    expect(page.get_by_label("Date and time of the visit")).to_be_focused()


def test_a_draft_may_be_saved_incomplete(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()

    app.start_new_visit(0).save_draft()

    expect(page.locator(".field-error:visible")).to_have_count(0)


def test_one_child_group_per_child_of_the_household(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    household_id = app.household(0).get_attribute("data-household")

    form = app.start_new_visit(0)
    form.choose("visit.no_access", "false")

    children = demo.children[household_id]
    assert page.locator('[data-path="visit.children"] fieldset.group-instance').count() == len(
        children
    )
    for child in children:
        assert page.locator(f'input[name="visit.children.{child}.seen"]').count() == 2


def test_a_flag_appears_as_soon_as_an_answer_raises_it(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.go_offline()  # the rules run on the tablet
    form = app.start_new_visit(0)
    form.choose("visit.no_access", "false")
    flags = page.locator("#form-flags")
    expect(flags.locator('[data-rule="child-not-seen-alone"]')).to_have_count(0)

    page.locator('input[name^="visit.children."][name$=".seen"][value="false"]').first.check()

    flag = flags.locator('[data-rule="child-not-seen-alone"]')
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text("Action:")
    expect(flag).to_contain_text("Suggested action:")
