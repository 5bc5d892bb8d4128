"""One vocabulary for people and concerns (issue 15 step 5): the server checks the
codes a device sends against visitcheck/people/vocabulary.json, words its pages
with the same labels the tablet offered, and serves the file in the bootstrap.
Made with factories: each test names the team, accounts and records it needs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import sign_in
from tests.factories import (
    PASSWORD,
    link,
    make_concern,
    make_household,
    make_person,
    make_team,
    make_user,
    new_id,
    signed_in,
)
from tests.sealing import sealed_op

VOCABULARY = json.loads((Path(__file__).resolve().parents[2] / "visitcheck" / "people"
                         / "vocabulary.json").read_text())


def _team_with_hv_and_lead(app):
    team = make_team(app)
    hv = signed_in(app, make_user(app, team=team, role="health_visitor"))
    lead = app.test_client()
    assert sign_in(lead, make_user(app, team=team, role="team_lead"), PASSWORD).status_code == 302
    return hv, lead


def test_the_bootstrap_serves_the_vocabulary_file_as_it_is_stored(app):
    hv = signed_in(app, make_user(app, team=make_team(app)))

    served = hv.get("/api/v1/bootstrap").get_json()["vocabulary"]

    assert served == VOCABULARY
    assert list(served) == list(VOCABULARY)  # the lists in the file's order too
    assert served["residences"][1] == ["overnight_weekly", "Stays overnight weekly or more"]


def test_a_residence_outside_the_vocabulary_is_refused_and_one_inside_is_stored(app):
    hv = signed_in(app, make_user(app, team=make_team(app)))
    household = make_household(hv, "1 Vocabulary Row", children=[{"name": "Kit"}])["id"]
    adult = make_person(hv, "Sam", is_child=False)

    op = sealed_op(hv.bootstrap, {"household_id": household, "person_id": adult,
                                  "residence": "on_a_boat"},
                   entity_id=new_id(), op_type="membership.put")
    refused = hv.push([op]).get_json()["results"][0]
    assert refused["status"] == "rejected"
    assert any(e["field"] == "residence" for e in refused["error"]["errors"]), refused

    assert link(hv, household, adult, residence="overnight_weekly")


def test_the_lead_s_family_map_says_where_someone_lives_in_the_tablet_s_words(app):
    hv, lead = _team_with_hv_and_lead(app)
    household = make_household(hv, "2 Vocabulary Row", children=[{"name": "Kit"}],
                               adults=["Morgan"])
    adult = household["adults"][0]
    elsewhere = make_household(hv, "3 Other Street", children=[{"name": "Lou"}])["id"]
    link(hv, elsewhere, adult, residence="overnight_weekly")
    make_concern(hv, adult, {household["children"][0]: "lives_with"})

    page = lead.get(f"/map/{household['id']}").get_data(as_text=True)

    # The label the practitioner chose, not a second wording of it.
    assert "Morgan stays overnight weekly or more at 3 Other Street" in page
    assert "stays overnight every week" not in page
    assert "lives with them" in page.split('id="contact-heading"', 1)[1]  # "Lives with them"


def test_the_lead_s_alerts_page_says_what_a_concern_rests_on_in_the_tablet_s_words(app):
    # The tablet said "Charged with an offence against a child", the lead's page "charged".
    hv, lead = _team_with_hv_and_lead(app)
    household = make_household(hv, "4 Vocabulary Row", children=[{"name": "Kit"}],
                               adults=["Robin"])
    make_concern(hv, household["adults"][0], {household["children"][0]: "lives_with"},
                 basis=["charged", "allegation_no_outcome"])

    page = lead.get("/review/alerts").get_data(as_text=True)

    assert "charged with an offence against a child; allegation without an outcome" in page
