"""Issue 11 item 3, the referral-to-flag link: home-visit version 2 adds an optional
`flag` field to S8 referral rows, and a referral naming a flag answers it as an action
does. Version 1 entries are still accepted and rendered under version 1's questions
(a version is never edited under its entries)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from tests.review_support import person_id, record_concern, web_client
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

MASH = "r-mash"


def _answers(children: list[str], *, referral_flag: str | None = None,
             action_flag: str = "") -> dict:
    answers = complete_visit(children, "Dana and Ava")
    referral = {"made_at": "2026-11-20T11:00", "to": "MASH", "reference": "M-7",
                "outcome": ""}
    if referral_flag is not None:
        referral["flag"] = referral_flag
    answers["analysis"] = {
        "actions": {"a-1": {"action": "Call the GP", "owner": "Asha Patel",
                            "due": "2026-11-27", "status": "open", "flag": action_flag}},
        "referrals": {MASH: referral},
    }
    return answers


def _push(api, household: str, answers: dict, version: int) -> tuple[str, dict]:
    op = sealed_op(api.bootstrap, {**checklist_payload(household, status="submitted",
                                                       answers=answers),
                                   "template_version": version})
    return op["entity_id"], api.push([op]).get_json()["results"][0]


def _lead_page(app, checklist: str) -> str:
    page = web_client(app, "lead").get(f"/review/{checklist}")
    assert page.status_code == 200
    return html.unescape(page.get_data(as_text=True))


def _flag_item(page: str, rule: str) -> tuple[str, str]:
    """(answered: "yes"/"no", the flag's list item) for a raised flag on the lead's page."""
    found = re.search(rf'data-rule="{rule}" data-answered="(yes|no)">(.*?)</li>\s*</ul>',
                      page, re.S)
    assert found, f"{rule} is not shown on the lead's page"
    return found.group(1), found.group(2)


def _answers_part(page: str) -> str:
    return page[page.index('<section class="answers"'):page.index('id="earlier-heading"')]


def test_a_v2_referral_linked_to_an_urgent_flag_answers_it_on_the_leads_page(
        app, demo, api_client):
    hv = api_client("hv")
    record_concern(app, hv, demo)  # Craig, of concern, in regular contact with Ava: urgent
    household = demo.households[1]
    ava = person_id(app, household, "Ava Whitfield")
    # The tablet stores the flag's key (rule:subject), chosen by its words.
    checklist, result = _push(hv, household, _answers(
        demo.children[household], referral_flag=f"poc-contact:{ava}"), version=2)
    assert result["status"] == "applied", result

    page = _lead_page(app, checklist)
    answered, item = _flag_item(page, "poc-contact")
    assert answered == "yes"
    assert "S8 referral to MASH" in item
    assert "Urgent — not yet answered" not in item
    # The referral row on the page names the flag by its words, never its key.
    answers = _answers_part(page)
    assert "The flag it answers, if any" in answers
    assert f"poc-contact:{ava}" not in answers
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        assert row.template_version == 2


def test_a_v2_referral_naming_no_flag_leaves_the_urgent_flag_unanswered(app, demo, api_client):
    hv = api_client("hv")
    record_concern(app, hv, demo)
    household = demo.households[1]
    checklist, result = _push(hv, household, _answers(demo.children[household],
                                                      referral_flag=""), version=2)
    assert result["status"] == "applied", result

    answered, item = _flag_item(_lead_page(app, checklist), "poc-contact")
    assert answered == "no"
    assert "Urgent — not yet answered" in item


def test_v1_entries_are_still_accepted_and_rendered_with_an_action_answering_the_flag(
        app, demo, api_client):
    hv = api_client("hv")
    record_concern(app, hv, demo)
    household = demo.households[1]
    checklist, result = _push(hv, household, _answers(
        demo.children[household], action_flag="poc-contact"), version=1)
    assert result["status"] == "applied", result

    page = _lead_page(app, checklist)
    answered, item = _flag_item(page, "poc-contact")
    assert answered == "yes"
    assert "S8 action: Call the GP" in item
    assert "To whom" in _answers_part(page)
    assert "MASH" in _answers_part(page)
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        assert row.template_version == 1


def test_a_v1_referral_naming_a_flag_is_refused_v1_has_no_such_question(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[1]
    _, result = _push(hv, household, _answers(demo.children[household],
                                              referral_flag="poc-contact"), version=1)
    assert result["status"] == "rejected"
    assert any(e["field"].startswith("analysis.referrals") for e in result["error"]["errors"])
