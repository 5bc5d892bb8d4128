"""One set of facts (issue 10 item 1), on the wire: a person recorded in S2 of a visit
carries `recorded_at_visit`, and a concern.put made from S3 reaches everyone who holds
the family, on their devices and on the family map."""

from __future__ import annotations

import html
import uuid

from sqlalchemy import select

from tests.review_support import web_client
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.auth.models import User
from visitcheck.extensions import db, keyring
from visitcheck.people import service as people


def _new_id() -> str:
    return str(uuid.uuid4())


def _apply(client, op_type: str, entity_id: str, payload: dict, base_rev: int = 0) -> dict:
    op = sealed_op(client.bootstrap, payload, entity_id=entity_id, base_rev=base_rev,
                   op_type=op_type)
    return client.push([op]).get_json()["results"][0]


def _pulled(client) -> dict[tuple[str, str], dict]:
    latest, cursor = {}, 0
    while True:
        page = client.pull(cursor=cursor).get_json()
        for change in page["changes"]:
            latest[(change["type"], change["entity_id"])] = change["data"]
        cursor = page["cursor"]
        if not page["more"]:
            return latest


def _refused(name: str, visit: str, children: list[str]) -> dict:
    link = {"relationship": "visitor", "cares_unsupervised": True,
            "details_source": "refused", "details_description": "Tall, shaved head"}
    return {"names": [name], "aliases": [], "date_of_birth": None, "estimated_age": None,
            "sex": "unknown", "is_child": False, "recorded_at_visit": visit,
            "children": [{"child_id": c, **link} for c in children]}


def test_a_person_recorded_at_a_visit_keeps_the_visit_it_came_from(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    visit, jay = _new_id(), _new_id()

    person = _apply(hv, "person.put", jay, _refused("Jay", visit, demo.children[household]))
    link = _apply(hv, "membership.put", _new_id(), {
        "household_id": household, "person_id": jay, "residence": "visits_regularly"})
    answers = complete_visit(demo.children[household])
    answers["household"] = {"new_members": {jay: {
        "names": "Jay", "is_child": False, "residence": "visits_regularly",
        "details_source": "refused", "details_description": "Tall, shaved head"}}}
    checklist = hv.push([sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=answers), entity_id=visit)]).get_json()

    assert [person["status"], link["status"], checklist["results"][0]["status"]] == [
        "applied", "applied", "applied"]
    pulled = _pulled(hv)
    assert pulled[("person", jay)]["recorded_at_visit"] == visit
    assert jay in {m["person_id"] for m in pulled[("household", household)]["members"]}


def test_recorded_at_visit_must_be_a_checklist_id(demo, api_client):
    hv = api_client("hv")

    result = _apply(hv, "person.put", _new_id(), _refused("Jay", "the visit on Friday", []))

    assert result["status"] == "rejected"
    assert {e["field"] for e in result["error"]["errors"]} == {"recorded_at_visit"}


def test_a_concern_from_s3_reaches_another_practitioner_and_the_family_map(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    mia, leo = demo.children[household]
    ray, concern = _new_id(), _new_id()
    _apply(hv, "person.put", ray, {"names": ["Ray Lawson"], "is_child": False,
                                   "recorded_at_visit": _new_id()})
    _apply(hv, "membership.put", _new_id(), {"household_id": household, "person_id": ray,
                                              "residence": "visits_regularly"})
    # What the tablet sends from S3: the concern fields, contact per child.
    s3 = {"person_id": ray, "basis": ["convicted_child_offence"],
          "source": "Police disclosure", "contact": {mia: "regular_unsupervised",
                                                     leo: "regular_unsupervised"}}
    assert _apply(hv, "concern.put", concern, s3)["status"] == "applied"
    with app.app_context():
        sn = db.session.scalar(select(User).where(User.username == "sn"))
        people.assign_caseload(db.session, user=sn,
                               household=people.household_by_public_id(db.session, household))
        db.session.commit()

    theirs = _pulled(api_client("sn"))[("concern", concern)]
    body = html.unescape(web_client(app, "lead").get(f"/map/{household}")
                         .get_data(as_text=True))

    assert theirs["person_id"] == ray
    assert theirs["basis"] == ["convicted_child_offence"]
    assert theirs["contact"] == {mia: "regular_unsupervised", leo: "regular_unsupervised"}
    assert "PERSON OF CONCERN" in body
    contact = body.split('id="contact-heading"', 1)[1]
    assert "Ray Lawson" in contact
    assert "regular unsupervised contact" in contact
    with app.app_context():
        stored = people.concern_by_public_id(db.session, concern)
        assert people.concern_view(stored, keyring=keyring())["source"] == "Police disclosure"


def _with_s3_about(household: str, children: list[str], person_id: str, *,
                   status: str) -> dict:
    answers = complete_visit(children)
    answers["risky_adults"] = {"concerns": {person_id: {"contact": {
        children[0]: {"contact": "lives_with"}}}}}
    return checklist_payload(household, status=status, answers=answers)


def _adult_of(app, household: str) -> str:
    with app.app_context():
        found = people.household_by_public_id(db.session, household)
        return next(m.person.uuid for m in found.memberships if not m.person.is_child)


def test_a_draft_may_hold_s3_about_an_adult_whose_concern_is_not_recorded_yet(
        app, demo, api_client):
    """S3 is where a concern is first written; until it has a basis and a source the
    tablet cannot record it, and the draft that holds it must still sync."""
    hv = api_client("hv")
    household = demo.households[0]
    mother = _adult_of(app, household)

    result = hv.push([sealed_op(hv.bootstrap, _with_s3_about(
        household, demo.children[household], mother, status="draft"))]).get_json()

    assert result["results"][0]["status"] == "applied", result


def test_a_submission_may_not_hold_s3_about_someone_with_no_concern(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    mother = _adult_of(app, household)

    result = hv.push([sealed_op(hv.bootstrap, _with_s3_about(
        household, demo.children[household], mother, status="submitted"))]).get_json()

    answer = result["results"][0]
    assert answer["status"] == "rejected"
    assert {e["field"] for e in answer["error"]["errors"]} == {
        f"risky_adults.concerns.{mother}"}
