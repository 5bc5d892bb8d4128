"""visitfacts.js in Chromium: how S3 answers become a concern and S2 rows a person,
without losing what the device already holds (the pure steps under the visit's save)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

MIA, LEO, RUBY = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
)
RAY = "44444444-4444-4444-8444-444444444444"
ROW = "55555555-5555-4555-8555-555555555555"
HOUSEHOLD = {"id": "66666666-6666-4666-8666-666666666666", "members": [
    {"person_id": MIA, "name": "Mia", "is_child": True},
    {"person_id": LEO, "name": "Leo", "is_child": True},
]}
CONCERN = {
    "id": "77777777-7777-4777-8777-777777777777", "person_id": RAY, "rev": 2,
    "basis": ["convicted_child_offence"], "source": "Police disclosure",
    "orders": "Sexual harm prevention order", "works_with_children": "no",
    "contact": {MIA: "supervised", LEO: "supervised", RUBY: "lives_with"},
}

CALL = """
async ({name, args}) => {
  const facts = await import("/static/app/visitfacts.js");
  return facts[name](...args);
}
"""


@pytest.fixture
def js(live_server, page):
    page.goto(f"{live_server.url}/offline")
    return lambda name, *args: page.evaluate(CALL, {"name": name, "args": list(args)})


def test_s3_opens_with_the_concern_for_this_households_children_only(js):
    row = js("s3FromConcern", CONCERN, [MIA, LEO])

    assert row == {
        "basis": ["convicted_child_offence"], "source": "Police disclosure",
        "orders": "Sexual harm prevention order", "works_with_children": "no",
        "contact": {MIA: {"contact": "supervised"}, LEO: {"contact": "supervised"}},
    }


def test_an_s3_row_as_it_opened_changes_nothing(js):
    before = js("s3FromConcern", CONCERN, [MIA, LEO])
    ticked_in_another_order = {**before, "basis": ["convicted_child_offence"]}

    assert js("concernAfterS3", {"current": CONCERN, "before": before,
                                 "row": ticked_in_another_order, "personId": RAY,
                                 "childIds": [MIA, LEO]}) is None


def test_only_what_s3_changed_is_laid_over_the_concern_held_now(js):
    before = js("s3FromConcern", CONCERN, [MIA, LEO])
    # Pulled while the visit was open: a colleague changed the orders.
    now = {**CONCERN, "rev": 3, "orders": "Order varied by the court"}
    row = {**before, "source": "Police and probation",
           "contact": {MIA: {"contact": "regular_unsupervised"}}}
    row.pop("works_with_children")  # cleared in S3

    concern = js("concernAfterS3", {"current": now, "before": before, "row": row,
                                    "personId": RAY, "childIds": [MIA, LEO]})

    assert concern["source"] == "Police and probation"
    assert concern["orders"] == "Order varied by the court"  # the colleague's, kept
    assert "works_with_children" not in concern
    # Mia changed, Leo cleared, Ruby (another household) kept.
    assert concern["contact"] == {MIA: "regular_unsupervised", RUBY: "lives_with"}
    assert concern["person_id"] == RAY
    assert not {"rev", "id"} & set(concern)


def test_a_new_concern_from_s3_is_what_s3_says(js):
    row = {"basis": ["admitted"], "source": "He told me",
           "contact": {LEO: {"contact": "overnight"}}}

    concern = js("concernAfterS3", {"current": None, "before": None, "row": row,
                                    "personId": RAY, "childIds": [MIA, LEO]})

    assert concern == {"person_id": RAY, "basis": ["admitted"], "source": "He told me",
                       "contact": {LEO: "overnight"}}


def test_an_s2_row_is_a_person_with_a_link_to_each_child_keeping_what_is_known(js):
    known = {"id": ROW, "rev": 1, "names": ["Jay"], "recorded_at_visit": "first-visit",
             "children": [{"child_id": MIA, "seen_by_practitioner": True},
                          {"child_id": RUBY, "relationship": "uncle"}]}
    row = {"names": "Jay Smith", "aliases": "J, Jason", "is_child": False,
           "residence": "visits_regularly", "estimated_age": 29.6, "relationship": "friend",
           "cares_unsupervised": True, "details_source": "refused",
           "details_description": "Tall"}

    person = js("personFromRow", {"rowId": ROW, "row": row, "known": known,
                                  "household": HOUSEHOLD, "visitId": "second-visit"})

    assert person["names"] == ["Jay Smith"]
    assert person["aliases"] == ["J", "Jason"]
    assert person["estimated_age"] == 30
    assert person["recorded_at_visit"] == "first-visit"  # where he was first recorded
    links = {link["child_id"]: link for link in person["children"]}
    assert set(links) == {MIA, LEO, RUBY}
    assert links[MIA]["seen_by_practitioner"] is True
    assert links[MIA]["details_source"] == "refused"
    assert links[LEO]["details_description"] == "Tall"
    assert links[RUBY] == {"child_id": RUBY, "relationship": "uncle"}


def test_s3_without_a_basis_or_source_is_an_error_at_the_field(js):
    answers = {"risky_adults": {"concerns": {RAY: {"contact": {MIA: {"contact": "supervised"}}}}}}
    household = {**HOUSEHOLD, "members": [*HOUSEHOLD["members"],
                                          {"person_id": RAY, "name": "Ray", "is_child": False}]}

    errors = js("s3Errors", {"answers": answers, "concerns": [], "household": household})

    assert errors == [
        {"field": f"risky_adults.concerns.{RAY}.basis",
         "message": "Choose at least one: Basis of the concern (Ray)."},
        {"field": f"risky_adults.concerns.{RAY}.source",
         "message": "Fill in this answer: Source (Ray)."},
    ]


def test_what_s2_and_s3_say_counts_for_the_flags_before_a_save(js):
    answers = {
        "household": {"new_members": {
            ROW: {"names": "Jay", "is_child": False, "residence": "visits_regularly",
                  "details_source": "refused", "details_description": "Tall"},
            "not-a-uuid": {"names": "Half typed"},
        }},
        "risky_adults": {"concerns": {ROW: {"basis": ["admitted"]}}},
    }

    typed = js("withVisitFacts", {"household": HOUSEHOLD, "persons": [], "concerns": [CONCERN],
                                  "answers": answers, "visitId": "this-visit"})

    jay = next(m for m in typed["household"]["members"] if m["person_id"] == ROW)
    assert jay["residence"] == "visits_regularly"
    assert len(typed["household"]["members"]) == 3  # the half-typed row is no one yet
    [person] = typed["persons"]
    assert person["households"] == [{"household_id": HOUSEHOLD["id"],
                                     "residence": "visits_regularly"}]
    assert {link["details_source"] for link in person["children"]} == {"refused"}
    assert [c["person_id"] for c in typed["concerns"]] == [RAY, ROW]
