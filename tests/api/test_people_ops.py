"""household.put, person.put, membership.put and concern.put: people as entities."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select

from tests.sealing import sealed_op
from visitcheck.extensions import db
from visitcheck.people.models import HouseholdMember, Person


def _new_id() -> str:
    return str(uuid.uuid4())


def _person(name: str, *, is_child: bool = False, **extra) -> dict:
    return {"names": [name], "aliases": [], "date_of_birth": None, "estimated_age": None,
            "sex": "unknown", "is_child": is_child, "children": [], **extra}


def _concern(person_id: str, child_id: str, **extra) -> dict:
    return {"person_id": person_id, "basis": ["convicted_child_offence"],
            "source": "Police disclosure", "source_date": "2026-10-01", "verified": True,
            "protect_source": False, "fact_or_opinion": "fact", "mappa_category": "1",
            "mappa_level": "1", "orders": "", "works_with_children": "no",
            "contact": {child_id: "regular_unsupervised"}, **extra}


def _apply(client, op_type: str, entity_id: str, payload: dict, base_rev: int = 0) -> dict:
    op = sealed_op(client.bootstrap, payload, entity_id=entity_id, base_rev=base_rev,
                   op_type=op_type)
    return client.push([op]).get_json()["results"][0]


def _pulled(client) -> dict[tuple[str, str], dict]:
    """(type, id) -> the latest data pulled."""
    latest, cursor = {}, 0
    while True:
        page = client.pull(cursor=cursor).get_json()
        for change in page["changes"]:
            latest[(change["type"], change["entity_id"])] = change["data"]
        cursor = page["cursor"]
        if not page["more"]:
            return latest


def test_a_new_household_goes_on_its_recorders_caseload_and_syncs_back(demo, api_client):
    hv = api_client("hv")
    household = _new_id()

    result = _apply(hv, "household.put", household, {"address": "9 Pear Lane",
                                                     "professionals": []})

    assert result["status"] == "applied"
    assert _pulled(hv)[("household", household)]["address"] == "9 Pear Lane"


def test_a_person_linked_to_two_households_is_one_record(app, demo, api_client):
    hv = api_client("hv")
    grandfather = _new_id()
    _apply(hv, "person.put", grandfather, _person("Ray Holt"))
    for household in demo.households[:2]:
        link = _apply(hv, "membership.put", _new_id(), {
            "household_id": household, "person_id": grandfather,
            "residence": "visits_regularly"})
        assert link["status"] == "applied"

    pulled = _pulled(hv)

    assert {h["household_id"] for h in pulled[("person", grandfather)]["households"]} == set(
        demo.households[:2])
    for household in demo.households[:2]:
        members = pulled[("household", household)]["members"]
        assert grandfather in {m["person_id"] for m in members}
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Person).where(
            Person.uuid == grandfather))
        assert count == 1


def test_the_same_link_from_two_devices_merges_into_one(app, demo, api_client):
    hv = api_client("hv")
    person = _new_id()
    _apply(hv, "person.put", person, _person("Visitor"))
    link = {"household_id": demo.households[0], "person_id": person,
            "residence": "visits_regularly"}

    first = _apply(hv, "membership.put", _new_id(), link)
    second = _apply(hv, "membership.put", _new_id(), {**link, "residence": "overnight_weekly"})

    assert (first["status"], second["status"]) == ("applied", "applied")
    with app.app_context():
        links = db.session.scalars(select(HouseholdMember).join(Person).where(
            Person.uuid == person)).all()
        assert [link.residence for link in links] == ["overnight_weekly"]


def test_adding_a_member_does_not_make_an_address_edit_conflict(demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    rev = _pulled(hv)[("household", household)]["rev"]
    person = _new_id()
    _apply(hv, "person.put", person, _person("New partner"))
    _apply(hv, "membership.put", _new_id(), {"household_id": household, "person_id": person,
                                             "residence": "lives_here"})

    edit = _apply(hv, "household.put", household, {"address": "14 Alder Row (upstairs)",
                                                   "professionals": []}, base_rev=rev)

    assert edit == {"op_id": edit["op_id"], "status": "applied", "rev": rev + 1}


def test_a_stale_household_edit_is_a_conflict(demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    payload = {"address": "first edit", "professionals": []}
    assert _apply(hv, "household.put", household, payload, base_rev=1)["status"] == "applied"

    stale = _apply(hv, "household.put", household, {**payload, "address": "second"},
                   base_rev=1)

    assert stale["status"] == "conflict"
    assert stale["current"]["address"] == "first edit"


def test_a_concern_reaches_whoever_holds_a_household_the_person_is_linked_to(demo, api_client):
    hv, sn = api_client("hv"), api_client("sn")
    grandfather, concern = _new_id(), _new_id()
    child = demo.children[demo.households[0]][0]
    _apply(hv, "person.put", grandfather, _person("Ray Holt"))
    _apply(hv, "membership.put", _new_id(), {"household_id": demo.households[0],
                                             "person_id": grandfather,
                                             "residence": "visits_regularly"})
    assert _apply(hv, "concern.put", concern, _concern(grandfather, child))["status"] == "applied"
    assert ("concern", concern) not in _pulled(sn)

    # The school nurse's household turns out to be where he lives.
    hv_link = _apply(hv, "membership.put", _new_id(), {
        "household_id": demo.school_households[0], "person_id": grandfather,
        "residence": "lives_here"})
    assert hv_link["status"] == "rejected"  # not on hv's caseload
    sn_link = _apply(sn, "membership.put", _new_id(), {
        "household_id": demo.school_households[0], "person_id": grandfather,
        "residence": "lives_here"})
    assert sn_link["status"] == "rejected"  # sn cannot see him yet: a search is issue 6's

    pulled = _pulled(hv)
    assert pulled[("concern", concern)]["basis"] == ["convicted_child_offence"]
    assert pulled[("concern", concern)]["person_id"] == grandfather


def test_invalid_records_are_rejected_with_the_field_named(demo, api_client):
    hv = api_client("hv")
    person = _new_id()

    bad_person = _apply(hv, "person.put", person, {"names": [], "is_child": "no", "x": 1})
    _apply(hv, "person.put", person, _person("Ray"))
    bad_concern = _apply(hv, "concern.put", _new_id(), _concern(
        person, demo.children[demo.households[0]][0], basis=["gossip"],
        mappa_category="9"))

    assert {e["field"] for e in bad_person["error"]["errors"]} == {"names", "is_child", "x"}
    assert {e["field"] for e in bad_concern["error"]["errors"]} == {"basis", "mappa_category"}


def test_a_protected_source_reaches_only_its_recorder_and_survives_others_edits(
        app, demo, api_client):
    from tests.review_support import person_id

    hv, sn = api_client("hv"), api_client("sn")
    school = demo.school_households[0]
    mother = person_id(app, school, "Leanne Carter")
    concern = _new_id()
    # The school nurse records a concern whose source must be protected.
    assert _apply(sn, "concern.put", concern, _concern(
        mother, demo.children[school][0], source="Neighbour at no. 29",
        protect_source=True))["status"] == "applied"
    # The health visitor takes the household on: she sees the concern, not the source.
    with app.app_context():
        from visitcheck.auth.models import User
        from visitcheck.extensions import db as database
        from visitcheck.people import service as people

        user = database.session.scalars(select(User).where(User.username == "hv")).one()
        household = people.household_by_public_id(database.session, school)
        people.assign_caseload(database.session, user=user, household=household)
        database.session.commit()

    seen_by_hv = _pulled(hv)[("concern", concern)]
    seen_by_sn = _pulled(sn)[("concern", concern)]
    assert "Neighbour" not in json.dumps(seen_by_hv)
    assert seen_by_hv["source_withheld"] is True
    assert seen_by_sn["source"] == "Neighbour at no. 29"

    # hv edits what she was shown; the real source is kept.
    edit = {k: v for k, v in seen_by_hv.items() if k not in ("id", "rev")}
    edit["orders"] = "Non-molestation order"
    assert _apply(hv, "concern.put", concern, edit, base_rev=1)["status"] == "applied"
    after = _pulled(sn)[("concern", concern)]
    assert (after["source"], after["orders"]) == ("Neighbour at no. 29", "Non-molestation order")
