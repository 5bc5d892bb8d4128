"""Issue 11 item 2: follow-through after submission, as `checklist.followup` ops
(sealed, idempotent, append-only), stored encrypted, pulled by the author's devices,
and read by the server's rules (a referral's outcome clears referral-no-outcome)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from tests.review_support import apply, csrf_token, new_id, pull_all, web_client
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db
from visitcheck.followup.models import Followup

REFERRAL = "r-mash"
ACTION = "a-call-gp"
OUTCOME = "MASH: strategy discussion held, section 47 enquiry opened"


def _visit_with_referral(children: list[str]) -> dict:
    answers = complete_visit(children, "Mother and Leo")
    answers["analysis"] = {
        "actions": {ACTION: {"action": "Call the GP", "owner": "Asha Patel",
                             "due": "2026-11-27", "status": "open", "flag": ""}},
        "referrals": {REFERRAL: {"made_at": "2026-11-02T09:00", "to": "MASH",
                                 "reference": "M-1", "outcome": ""}},
    }
    return answers


def _submit(api, household: str, children: list[str]) -> str:
    op = sealed_op(api.bootstrap, checklist_payload(
        household, status="submitted", answers=_visit_with_referral(children)))
    result = api.push([op]).get_json()["results"][0]
    assert result["status"] == "applied", result
    return op["entity_id"]


def _record(checklist: str, kind: str = "referral_outcome", **fields) -> dict:
    values = {"row_id": REFERRAL, "text": OUTCOME} if kind == "referral_outcome" else {}
    return {"checklist_id": checklist, "kind": kind,
            "recorded_at": datetime.now(UTC).isoformat(), **values, **fields}


def _server_rules(app, checklist: str) -> list[str]:
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        return [f["rule"] for f in json.loads(row.flag_summary)]


def test_a_referral_outcome_is_applied_and_clears_referral_no_outcome_on_the_server(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    assert "referral-no-outcome" in _server_rules(app, checklist)

    result = apply(hv, "checklist.followup", new_id(), _record(checklist))

    assert result == {"op_id": result["op_id"], "status": "applied", "rev": 1}
    assert "referral-no-outcome" not in _server_rules(app, checklist)
    # The flags the author's devices get with the checklist say so too.
    latest = [c for c in pull_all(hv) if c["entity_id"] == checklist][-1]["data"]
    assert "referral-no-outcome" not in [f["rule"] for f in latest["flags"]]


def test_an_outcome_on_an_earlier_visit_clears_the_later_visits_flag_read_together_or_alone(
        app, demo, api_client):
    """The referral is in the later visit's history; the record added to the earlier
    visit is laid over it in the reading a push evaluates together, as alone."""
    from visitcheck.checklists.service import checklist_by_public_id
    from visitcheck.extensions import keyring
    from visitcheck.rules import service as flags

    hv = api_client("hv")
    household = demo.households[0]
    earlier = _submit(hv, household, demo.children[household])
    later = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household])))
    assert hv.push([later]).get_json()["results"][0]["status"] == "applied"

    def raised() -> tuple[bool, bool]:
        """Whether referral-no-outcome is raised: for the later visit, the earlier."""
        with app.app_context():
            rows = [checklist_by_public_id(db.session, c)
                    for c in (later["entity_id"], earlier)]
            together = flags.server_flags_of(db.session, rows, keyring=keyring())
            alone = flags.server_flags_of(db.session, rows[:1], keyring=keyring())
            assert together[rows[0].uuid] == alone[rows[0].uuid]
            return tuple("referral-no-outcome" in [f["rule"] for f in found]
                         for found in (alone[rows[0].uuid], together[earlier]))

    assert raised() == (True, True)
    apply(hv, "checklist.followup", new_id(), _record(earlier))
    assert raised() == (False, False)


def test_the_same_op_sent_again_is_a_duplicate_and_stores_one_record(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    op = sealed_op(hv.bootstrap, _record(checklist), op_type="checklist.followup")

    first = hv.push([op]).get_json()["results"][0]
    again = hv.push([op]).get_json()["results"][0]

    assert first["status"] == "applied"
    assert again == {**first, "status": "duplicate"}
    with app.app_context():
        assert len(db.session.scalars(select(Followup)).all()) == 1


def test_a_record_is_never_changed_by_a_new_op_with_its_id(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    record = new_id()
    assert apply(hv, "checklist.followup", record, _record(checklist))["status"] == "applied"

    changed = apply(hv, "checklist.followup", record, _record(checklist, text="Nothing"))

    assert changed["status"] == "rejected"
    assert changed["error"]["type"].endswith("/append-only")


def test_a_stranger_cannot_add_to_someone_elses_visit(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])

    for other in ("sn", "lead"):
        result = apply(api_client(other), "checklist.followup", new_id(), _record(checklist))
        assert result["status"] == "rejected"
        assert result["error"]["type"].endswith("/forbidden")
    with app.app_context():
        assert db.session.scalars(select(Followup)).all() == []


def test_a_draft_takes_no_follow_through_and_a_record_must_name_a_row_of_the_visit(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    draft = sealed_op(hv.bootstrap, checklist_payload(
        household, answers=_visit_with_referral(demo.children[household])))
    assert hv.push([draft]).get_json()["results"][0]["status"] == "applied"
    refused = apply(hv, "checklist.followup", new_id(), _record(draft["entity_id"]))
    assert refused["error"]["type"].endswith("/not-submitted")

    checklist = _submit(hv, household, demo.children[household])
    unknown = apply(hv, "checklist.followup", new_id(), _record(checklist, row_id="r-none"))
    assert unknown["status"] == "rejected"
    assert [e["field"] for e in unknown["error"]["errors"]] == ["row_id"]
    wordless = apply(hv, "checklist.followup", new_id(),
                     _record(checklist, "flag_response", rule="poc-contact", text=" "))
    assert [e["field"] for e in wordless["error"]["errors"]] == ["text"]
    no_such_rule = apply(hv, "checklist.followup", new_id(),
                         _record(checklist, "flag_response", rule="made-up", text="Done"))
    assert [e["field"] for e in no_such_rule["error"]["errors"]] == ["rule"]


def test_follow_through_is_added_after_the_lead_approved(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    lead = web_client(app, "lead")
    decided = lead.post(f"/review/{checklist}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": "approve"})
    assert decided.status_code == 302

    result = apply(hv, "checklist.followup", new_id(), _record(
        checklist, "addendum", text="Late entry: father phoned after the visit"))

    assert result["status"] == "applied"


def test_the_record_is_stored_encrypted_at_rest(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    assert apply(hv, "checklist.followup", new_id(), _record(checklist))["status"] == "applied"

    with app.app_context():
        raw = db.session.execute(select(Followup.__table__)).one()._asdict()
    assert OUTCOME.encode() not in b"".join(
        v if isinstance(v, bytes) else str(v).encode() for v in raw.values())
    assert REFERRAL.encode() not in raw["sealed_fields"]


def test_the_authors_other_device_pulls_the_record_with_its_author_and_time(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    checklist = _submit(hv, household, demo.children[household])
    record = new_id()
    payload = _record(checklist, "action_status", row_id=ACTION, status="done",
                      text="GP called: aware, will see Leo on Monday")
    assert apply(hv, "checklist.followup", record, payload)["status"] == "applied"

    other_device = api_client("hv")
    pulled = [c for c in pull_all(other_device) if c["type"] == "followup"]

    assert [c["entity_id"] for c in pulled] == [record]
    data = pulled[0]["data"]
    assert data["checklist_id"] == checklist
    assert (data["kind"], data["row_id"], data["status"], data["text"]) == (
        "action_status", ACTION, "done", "GP called: aware, will see Leo on Monday")
    assert data["author"]["name"] == "Asha Patel"
    assert datetime.fromisoformat(data["recorded_at"].replace("Z", "+00:00")) == \
        datetime.fromisoformat(payload["recorded_at"])
    # Nobody else's devices get it.
    assert [c for c in pull_all(api_client("sn")) if c["type"] == "followup"] == []


def _lead_page(app, checklist: str) -> str:
    page = web_client(app, "lead").get(f"/review/{checklist}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_lead_sees_the_trail_and_what_answers_each_flag_in_words(app, demo, api_client):
    import html
    import re

    from tests.review_support import record_concern

    hv = api_client("hv")
    record_concern(app, hv, demo)  # Craig, of concern, in regular contact with Ava
    household = demo.households[1]
    checklist = _submit(hv, household, demo.children[household])
    before = html.unescape(_lead_page(app, checklist))
    flag = re.search(r'data-rule="poc-contact" data-answered="no">(.*?)</li>', before, re.S)
    assert flag
    assert "Urgent — not yet answered" in flag.group(1)
    assert "Nothing recorded since the visit was submitted." in before

    assert apply(hv, "checklist.followup", new_id(), _record(
        checklist, "flag_response", rule="poc-contact", subject=None,
        text="Strategy discussion asked for; Ava not to be left with Craig",
        recorded_at="2026-11-21T15:05:00+00:00"))["status"] == "applied"
    assert apply(hv, "checklist.followup", new_id(), _record(
        checklist, recorded_at="2026-11-23T09:30:00+00:00"))["status"] == "applied"

    after = html.unescape(_lead_page(app, checklist))
    flag = re.search(r'data-rule="poc-contact" data-answered="yes">(.*?)</li>\s*</ul>', after,
                     re.S)
    assert flag, "the urgent flag is shown answered"
    assert "Response by Asha Patel: Strategy discussion asked for" in flag.group(1)
    assert "Saturday 21 November 2026 at 15:05" in flag.group(1)
    assert 'data-rule="referral-no-outcome"' not in after
    trail = after[after.index("Follow-through after submission"):]
    assert trail.index("Response to a flag") < trail.index("Referral outcome")
    assert "To MASH, reference M-1" in trail
    assert OUTCOME in trail
    assert "Monday 23 November 2026 at 09:30" in trail


def test_a_submission_and_its_follow_through_sent_together_offline_apply_in_order(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    submission = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted",
        answers=_visit_with_referral(demo.children[household])))
    checklist = submission["entity_id"]
    outcome = sealed_op(hv.bootstrap, _record(checklist), op_type="checklist.followup")

    results = hv.push([submission, outcome]).get_json()["results"]

    assert [r["status"] for r in results] == ["applied", "applied"]
    assert "referral-no-outcome" not in _server_rules(app, checklist)
    with app.app_context():  # evaluated after the push, not left for the queue
        assert db.session.scalars(select(Checklist.flags_due).where(
            Checklist.uuid == checklist)).one() is False
