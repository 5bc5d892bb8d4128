"""Every role x every review, map, admin and API route x own team's and another team's
objects: the expected answer each time. No route reveals a checklist, a person or a
concern to anyone outside the team or the caseload."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, sign_in
from tests.review_support import (
    OTHER_PASSWORD,
    apply,
    concern_payload,
    new_id,
    other_team,
    record_concern,
    submit_checklist,
)

# Own team: in hv's checklist and concern. Other team: in its checklist, person and concern.
OWN_CANARY = "canary-own-team-3f9b"
OTHER_CANARY = "canary-other-team-7d2e"
ROLES = ["anonymous", "health_visitor", "school_nurse", "team_lead", "admin"]
USERNAMES = {"health_visitor": "hv", "school_nurse": "sn", "team_lead": "lead",
             "admin": "admin"}
LOGIN = 302  # an HTML page sends the anonymous to sign in
CSRF = 400  # a form posted without a session's token

# (method, path template, {role: status}); {own_*} and {other_*} are filled per run.
MATRIX = [
    ("GET", "/review", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                            team_lead=200, admin=403)),
    ("GET", "/review/{own_checklist}", dict(anonymous=LOGIN, health_visitor=403,
                                            school_nurse=403, team_lead=200, admin=403)),
    ("GET", "/review/{other_checklist}", dict(anonymous=LOGIN, health_visitor=403,
                                              school_nurse=403, team_lead=404, admin=403)),
    ("POST", "/review/{own_checklist}/decision", dict(anonymous=CSRF, health_visitor=403,
                                                      school_nurse=403, team_lead=400,
                                                      admin=403)),
    ("POST", "/review/{other_checklist}/decision", dict(anonymous=CSRF, health_visitor=403,
                                                        school_nurse=403, team_lead=404,
                                                        admin=403)),
    ("GET", "/review/alerts", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                   team_lead=200, admin=403)),
    ("GET", "/map/{own_household}", dict(anonymous=LOGIN, health_visitor=200,
                                         school_nurse=404, team_lead=200, admin=403)),
    ("GET", "/map/{school_household}", dict(anonymous=LOGIN, health_visitor=404,
                                            school_nurse=200, team_lead=200, admin=403)),
    ("GET", "/map/{other_household}", dict(anonymous=LOGIN, health_visitor=404,
                                           school_nurse=404, team_lead=404, admin=403)),
    ("POST", "/map/{own_household}/escalate", dict(anonymous=CSRF, health_visitor=403,
                                                   school_nurse=403, team_lead=404,
                                                   admin=403)),
    ("POST", "/map/{other_household}/escalate", dict(anonymous=CSRF, health_visitor=403,
                                                     school_nurse=403, team_lead=404,
                                                     admin=403)),
    # The child's chronology: the lead of the child's team, and whoever holds its
    # household; never another team's child.
    ("GET", "/chronology/{own_child}", dict(anonymous=LOGIN, health_visitor=200,
                                            school_nurse=403, team_lead=200, admin=403)),
    ("GET", "/chronology/{other_child}", dict(anonymous=LOGIN, health_visitor=403,
                                              school_nurse=403, team_lead=403, admin=403)),
    ("GET", "/admin", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                           team_lead=403, admin=200)),
    ("GET", "/admin/users", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                 team_lead=403, admin=200)),
    ("POST", "/admin/users", dict(anonymous=CSRF, health_visitor=403, school_nurse=403,
                                  team_lead=403, admin=400)),
    ("GET", "/admin/users/{own_user}", dict(anonymous=LOGIN, health_visitor=403,
                                            school_nurse=403, team_lead=403, admin=200)),
    ("GET", "/admin/users/{other_user}", dict(anonymous=LOGIN, health_visitor=403,
                                              school_nurse=403, team_lead=403, admin=200)),
    ("POST", "/admin/teams", dict(anonymous=CSRF, health_visitor=403, school_nurse=403,
                                  team_lead=403, admin=400)),
    ("GET", "/admin/caseloads", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                     team_lead=403, admin=200)),
    ("POST", "/admin/caseloads", dict(anonymous=CSRF, health_visitor=403, school_nurse=403,
                                      team_lead=403, admin=400)),
    ("GET", "/admin/devices", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                   team_lead=403, admin=200)),
    ("GET", "/admin/devices/{own_device}/revoke", dict(anonymous=LOGIN, health_visitor=403,
                                                       school_nurse=403, team_lead=403,
                                                       admin=200)),
    ("POST", "/admin/devices/{own_device}/revoke", dict(anonymous=CSRF, health_visitor=403,
                                                        school_nurse=403, team_lead=403,
                                                        admin=400)),
    ("GET", "/admin/templates", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                     team_lead=403, admin=200)),
    ("GET", "/admin/audit", dict(anonymous=LOGIN, health_visitor=403, school_nurse=403,
                                 team_lead=403, admin=200)),
    ("GET", "/admin/audit?who=hv&object_type=checklist", dict(
        anonymous=LOGIN, health_visitor=403, school_nurse=403, team_lead=403, admin=200)),
    ("GET", "/api/v1/bootstrap", dict(anonymous=401, health_visitor=200, school_nurse=200,
                                      team_lead=200, admin=200)),
    ("GET", "/api/v1/sync/pull", dict(anonymous=401, health_visitor=200, school_nurse=200,
                                      team_lead=200, admin=200)),
    # The API answers a post with no session 401 (sign in), not a CSRF 400 (issue 12).
    ("POST", "/api/v1/sync/push", dict(anonymous=401, health_visitor=400, school_nurse=400,
                                       team_lead=400, admin=400)),
    ("POST", "/api/v1/devices", dict(anonymous=401, health_visitor=400, school_nurse=400,
                                     team_lead=400, admin=400)),
]

# Where the own team's canary may be read: the lead's checklist page (shown again with
# the errors of a decision form), and the pull of
# the health visitor who wrote it. Nobody outside the other team ever reads its canary.
OWN_CANARY_ALLOWED = {("team_lead", "/review/{own_checklist}"),
                      ("team_lead", "/review/{own_checklist}/decision"),
                      ("health_visitor", "/api/v1/sync/pull"),
                      # Who was present at the visit is part of the child's story.
                      ("team_lead", "/chronology/{own_child}"),
                      ("health_visitor", "/chronology/{own_child}")}


@pytest.fixture
def world(app, demo, api_client) -> dict:
    hv = api_client("hv")
    own_household = demo.households[1]
    own_checklist = submit_checklist(hv, own_household, demo.children[own_household],
                                     note=OWN_CANARY)
    record_concern(app, hv, demo, notes=OWN_CANARY, source=OWN_CANARY, protect_source=True)

    other = other_team(app, person_name=f"Rowan {OTHER_CANARY}")
    hv2 = api_client("hv2", OTHER_PASSWORD)
    other_checklist = submit_checklist(hv2, other["household"], [other["child"]],
                                       note=OTHER_CANARY)
    result = apply(hv2, "concern.put", new_id(),
                   concern_payload(other["adult"], other["child"], notes=OTHER_CANARY,
                                   source=OTHER_CANARY))
    assert result["status"] == "applied"
    return {"own_checklist": own_checklist, "other_checklist": other_checklist,
            "own_household": own_household, "school_household": demo.school_households[0],
            "other_household": other["household"], "own_user": demo.users["hv"],
            "other_user": other["hv"], "own_device": hv.device_id,
            "own_child": demo.children[own_household][0], "other_child": other["child"]}


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        assert sign_in(client, USERNAMES[role], DEMO_PASSWORD).status_code == 302
    return client


def _token(client) -> str | None:
    response = client.get("/api/v1/bootstrap")
    return response.get_json()["csrf_token"] if response.status_code == 200 else None


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected_and_reveals_nothing_outside_the_team(
        app, world, role):
    client = _client(app, role)
    token = _token(client)
    failures = []
    for method, template, expected in MATRIX:
        path = template.format(**world)
        if method == "GET":
            response = client.get(path)
        elif path.startswith("/api/"):
            headers = {"X-CSRFToken": token} if token else {}
            response = client.post(path, json={}, headers=headers)
        else:
            # A signed-in user's valid token with an empty form: the answer shows who may
            # post here (403/404) without changing anything (400 for those who may).
            response = client.post(path, data={"csrf_token": token} if token else {})
        body = response.get_data(as_text=True)
        if response.status_code != expected[role]:
            failures.append(f"{method} {template}: {response.status_code}, "
                            f"expected {expected[role]}")
        if OTHER_CANARY in body:
            failures.append(f"{method} {template}: reveals the other team's records")
        if OWN_CANARY in body and (role, template) not in OWN_CANARY_ALLOWED:
            failures.append(f"{method} {template}: reveals a checklist or concern")
    assert failures == []


def test_the_pull_gives_a_school_nurse_nothing_of_another_caseload(app, world, api_client):
    sn = api_client("sn")
    body = sn.pull().get_data(as_text=True)
    assert OWN_CANARY not in body
    assert world["own_checklist"] not in body
