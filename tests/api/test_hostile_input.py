"""Hostile input is answered 4xx (or, inside a push, a `rejected` op), never 5xx,
and every answer is strict JSON (issue 12 item 4).

Each case is one finding of the probe runs against the real app; the suite runs
on SQLite and, with VISITCHECK_TEST_DATABASE_URL, on PostgreSQL, where several
of them (NUL bytes, integers past 2^31 or 2^63) only broke there. The test
client propagates server exceptions, so a case that still crashes fails with
its traceback rather than a bare 500.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import CSRF_INPUT, ApiClient
from tests.sealing import checklist_payload, sealed_op
from visitcheck.keys import b64url_decode, seal, sealed_aad


def _new_id() -> str:
    return str(uuid.uuid4())


def strict_json(response) -> object:
    """The answer as a strict JSON parser reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = strict_json(response)
    assert body["status"] == status
    return body


def _rejected(response, op: dict) -> dict:
    """The push answered 200 with this one op rejected, echoing its op id."""
    assert response.status_code == 200, response.get_data(as_text=True)
    (result,) = strict_json(response)["results"]
    assert result["status"] == "rejected", result
    assert result["op_id"] == op["op_id"]
    assert result["error"]["title"]
    return result


@dataclass
class Ctx:
    app: object
    demo: object
    hv: ApiClient

    def raw_push(self, body: str, **headers):
        return self.hv.client.post("/api/v1/sync/push", data=body, headers={
            "Content-Type": "application/json", "X-CSRFToken": self.hv.csrf,
            "X-Visitcheck-Device": self.hv.device_id, **headers})

    def push_op(self, op: dict):
        return self.hv.push([op])


# --- the device header ---------------------------------------------------------


def malformed_device_header_signed_in(ctx: Ctx):
    response = ctx.hv.client.get("/api/v1/bootstrap",
                                 headers={"X-Visitcheck-Device": "not-a-uuid"})
    body = _problem(response, 400)
    assert body["type"].endswith("/invalid-device-header")


def malformed_device_header_signed_out(ctx: Ctx):
    anonymous = ctx.app.test_client()
    for header in ("not-a-uuid", "\u00e9" * 40, "0" * 5000):
        response = anonymous.get("/api/v1/sync/pull", headers={"X-Visitcheck-Device": header})
        _problem(response, 400)


# --- op fields -------------------------------------------------------------------


def op_type_given_as_a_list(ctx: Ctx):
    op = sealed_op(ctx.hv.bootstrap, checklist_payload(ctx.demo.households[0]))
    op["type"] = ["checklist.put"]
    result = _rejected(ctx.push_op(op), op)
    assert result["error"]["type"].endswith("/unknown-op-type")


def rejected_op_with_a_non_uuid_op_id_echoes_null(ctx: Ctx):
    op = sealed_op(ctx.hv.bootstrap, checklist_payload(ctx.demo.households[0]))
    op["op_id"] = "op-1"
    response = ctx.push_op(op)
    assert response.status_code == 200
    (result,) = strict_json(response)["results"]
    # The answer's op_id is a UUID or null (docs/openapi.json), never what was sent.
    assert result == {**result, "op_id": None, "status": "rejected"}


def base_rev_past_the_database_integer(ctx: Ctx):
    household = ctx.demo.households[0]
    created = sealed_op(ctx.hv.bootstrap, checklist_payload(household))
    assert ctx.push_op(created).get_json()["results"][0]["status"] == "applied"
    stale = sealed_op(ctx.hv.bootstrap, checklist_payload(household),
                      entity_id=created["entity_id"], base_rev=2**31)
    result = _rejected(ctx.push_op(stale), stale)
    assert result["error"]["type"].endswith("/invalid-op")


def template_version_of_2_to_the_80(ctx: Ctx):
    household = ctx.demo.households[0]
    # Past what JavaScript holds exactly: not strict JSON for this server.
    op = sealed_op(ctx.hv.bootstrap, {**checklist_payload(household), "template_version": 2**80})
    assert _rejected(ctx.push_op(op), op)["error"]["type"].endswith("/sealed-invalid")
    # Past the database column: names no template.
    op = sealed_op(ctx.hv.bootstrap, {**checklist_payload(household), "template_version": 2**40})
    result = _rejected(ctx.push_op(op), op)
    assert result["error"]["errors"][0]["field"] == "template_version"


def a_list_where_a_choice_is_expected(ctx: Ctx):
    household = ctx.demo.households[0]
    person = ctx.demo.children[household][0]
    for residence in (["lives_here"], {"a": 1}):
        op = sealed_op(ctx.hv.bootstrap, {"household_id": household, "person_id": person,
                                          "residence": residence},
                       op_type="membership.put")
        result = _rejected(ctx.push_op(op), op)
        assert result["error"]["errors"] == [{"field": "residence",
                                              "message": "is not one of the choices"}]


def a_list_where_a_checklist_choice_is_expected(ctx: Ctx):
    answers = {"visit": {"visit_type": ["new_birth"], "no_access": {"x": 1}}}
    op = sealed_op(ctx.hv.bootstrap, checklist_payload(ctx.demo.households[0], answers=answers))
    _rejected(ctx.push_op(op), op)


def membership_reusing_another_links_id(ctx: Ctx):
    household, other = ctx.demo.households[:2]
    person = _new_id()
    made = sealed_op(ctx.hv.bootstrap, {
        "names": ["Ray Holt"], "aliases": [], "date_of_birth": None, "estimated_age": None,
        "sex": "unknown", "is_child": False, "children": []},
        entity_id=person, op_type="person.put")
    assert ctx.push_op(made).get_json()["results"][0]["status"] == "applied"
    link_id = _new_id()
    first = sealed_op(ctx.hv.bootstrap, {"household_id": household, "person_id": person,
                                         "residence": "visits_regularly"},
                      entity_id=link_id, op_type="membership.put")
    assert ctx.push_op(first).get_json()["results"][0]["status"] == "applied"
    reused = sealed_op(ctx.hv.bootstrap, {"household_id": other, "person_id": person,
                                          "residence": "visits_regularly"},
                       entity_id=link_id, op_type="membership.put")
    result = _rejected(ctx.push_op(reused), reused)
    assert result["error"]["type"].endswith("/invalid-entity")


def a_kid_with_a_nul_byte(ctx: Ctx):
    op = sealed_op(ctx.hv.bootstrap, checklist_payload(ctx.demo.households[0]))
    op["sealed"]["kid"] = "k\x00id"
    body = _problem(ctx.push_op(op), 400)
    assert body["type"].endswith("/invalid-json")


def a_kid_of_a_megabyte(ctx: Ctx):
    op = sealed_op(ctx.hv.bootstrap, checklist_payload(ctx.demo.households[0]))
    op["sealed"]["kid"] = "k" * 1_000_000
    result = _rejected(ctx.push_op(op), op)
    assert result["error"]["type"].endswith("/sealed-invalid")


def _sealed_raw(ctx: Ctx, plaintext: str, op_type: str = "checklist.put") -> dict:
    """An op whose sealed plaintext is exactly `plaintext` (not always JSON)."""
    op = sealed_op(ctx.hv.bootstrap, {}, op_type=op_type)
    key = ctx.hv.bootstrap["sealing_key"]
    op["sealed"] = seal(plaintext.encode(), public_key=b64url_decode(key["public_key"]),
                        kid=key["kid"], aad=sealed_aad(op["type"], op["entity_id"],
                                                       op["op_id"], op["base_rev"]))
    return op


def a_sealed_nan_is_refused_and_pulls_stay_json(ctx: Ctx):
    # A number answer of NaN (a float) used to pass validation and be stored in
    # the draft, and every later pull answered `NaN`, which JSON.parse refuses.
    row = {"names": "A visitor", "is_child": False, "estimated_age": 40}
    answers = {"household": {"new_members": {"r1": row}}}
    for constant in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps(checklist_payload(ctx.demo.households[0], answers=answers)).replace(
            '"estimated_age": 40', f'"estimated_age": {constant}')
        assert constant in raw
        op = _sealed_raw(ctx, raw)
        result = _rejected(ctx.push_op(op), op)
        assert result["error"]["type"].endswith("/sealed-invalid")
    pulled = ctx.hv.pull()
    assert pulled.status_code == 200
    strict_json(pulled)


def sealed_content_nested_too_deep(ctx: Ctx):
    raw = json.dumps(checklist_payload(ctx.demo.households[0])).replace(
        '"answers": {}', '"answers": {"visit": {"present": ' + "[" * 100_000 + "]" * 100_000
        + "}}")
    op = _sealed_raw(ctx, raw)
    result = _rejected(ctx.push_op(op), op)
    assert result["error"]["type"].endswith("/sealed-invalid")


# --- request bodies --------------------------------------------------------------


def deeply_nested_json_body(ctx: Ctx):
    for depth in (200, 100_000):
        body = '{"device_id": "x", "ops": [' + "[" * depth + "]" * depth + "]}"
        _problem(ctx.raw_push(body), 400)


def _raw_op_body(ctx: Ctx, *, op_id: str = "", base_rev: str = "0") -> str:
    """A push body with one op whose op_id and base_rev are spliced in as raw JSON."""
    op_id = op_id or json.dumps(_new_id())
    return (f'{{"device_id": "{ctx.hv.device_id}", "ops": [{{"op_id": {op_id}, '
            f'"type": "checklist.put", "entity_id": "{_new_id()}", "base_rev": {base_rev}, '
            '"sealed": {}}]}')


def nan_and_infinity_in_a_body(ctx: Ctx):
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = _raw_op_body(ctx, op_id=constant)
        response = _problem(ctx.raw_push(body), 400)
        assert response["type"].endswith("/invalid-json")


def a_huge_integer_in_a_body(ctx: Ctx):
    for number in ("1" + "0" * 5000, str(2**64), "1e400"):
        body = _raw_op_body(ctx, base_rev=number)
        _problem(ctx.raw_push(body), 400)


def a_nul_in_a_device_label(ctx: Ctx):
    response = ctx.hv.post("/api/v1/devices", {"device_id": _new_id(), "label": "tab\x00let"})
    _problem(response, 400)


def a_device_label_that_is_not_text(ctx: Ctx):
    response = ctx.hv.post("/api/v1/devices", {"device_id": _new_id(), "label": ["x"]})
    body = _problem(response, 400)
    assert body["errors"][0]["field"] == "label"


def body_that_is_not_utf8(ctx: Ctx):
    _problem(ctx.raw_push(b'{"ops": "\xff\xfe"}'), 400)


# --- query parameters -----------------------------------------------------------


def cursor_past_2_to_the_63(ctx: Ctx):
    for cursor in (2**63, 2**63 - 1 + 10, 10**400):
        _problem(ctx.hv.get(f"/api/v1/sync/pull?cursor={cursor}"), 400)


def limit_past_2_to_the_63(ctx: Ctx):
    _problem(ctx.hv.get(f"/api/v1/sync/pull?limit={2**64}"), 400)


def a_nul_in_a_query_parameter(ctx: Ctx):
    _problem(ctx.hv.get("/api/v1/sync/pull?cursor=%00"), 400)


def _admin(ctx: Ctx):
    from tests.conftest import DEMO_PASSWORD, sign_in

    admin = ctx.app.test_client()
    assert sign_in(admin, "admin", DEMO_PASSWORD).status_code == 302
    return admin


def admin_audit_object_id_with_a_nul(ctx: Ctx):
    response = _admin(ctx).get("/admin/audit?object_id=%00")
    assert response.status_code == 400
    assert "must not contain" in response.get_data(as_text=True)


def admin_audit_a_huge_page(ctx: Ctx):
    admin = _admin(ctx)
    for page in (2**63, 2**31, 10**30):
        response = admin.get(f"/admin/audit?page={page}")
        assert response.status_code == 400, page


def admin_audit_date_to_the_end_of_time(ctx: Ctx):
    admin = _admin(ctx)
    for query in ("date_to=9999-12-31", "date_from=0001-01-01", "date_from=9999-12-31"):
        response = admin.get(f"/admin/audit?{query}")
        assert response.status_code == 400, query


def review_queue_a_huge_page_or_the_end_of_time(ctx: Ctx):
    from tests.conftest import DEMO_PASSWORD, sign_in

    lead = ctx.app.test_client()
    assert sign_in(lead, "lead", DEMO_PASSWORD).status_code == 302
    for query in (f"page={2**63}", f"page={10**30}", "date_to=9999-12-31",
                  "date_from=0001-01-01", "date_from=9999-12-31&date_to=9999-12-31"):
        response = lead.get(f"/review?{query}")
        assert response.status_code == 400, query


def a_nul_in_any_pages_query(ctx: Ctx):
    admin = _admin(ctx)
    for path in ("/admin/audit?who=%00", "/review?x=%00", "/login?next=%00"):
        response = admin.get(path)
        assert response.status_code == 400, path
    # A form field too: a NUL in the username made PostgreSQL raise at sign-in.
    anonymous = ctx.app.test_client()
    page = anonymous.get("/login").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    response = anonymous.post("/login", data={"username": "hv\x00", "password": "x" * 12,
                                              "csrf_token": token})
    assert response.status_code == 400


# --- CSRF ----------------------------------------------------------------------


def bad_csrf_token_without_a_cookie_is_401(ctx: Ctx):
    anonymous = ctx.app.test_client()
    response = anonymous.post("/api/v1/sync/push", json={"device_id": _new_id(), "ops": []},
                              headers={"X-CSRFToken": "nonsense"})
    body = _problem(response, 401)
    assert body["type"].endswith("/unauthenticated")


CASES: list[Callable[[Ctx], None]] = [
    malformed_device_header_signed_in,
    malformed_device_header_signed_out,
    op_type_given_as_a_list,
    rejected_op_with_a_non_uuid_op_id_echoes_null,
    base_rev_past_the_database_integer,
    template_version_of_2_to_the_80,
    a_list_where_a_choice_is_expected,
    a_list_where_a_checklist_choice_is_expected,
    membership_reusing_another_links_id,
    a_kid_with_a_nul_byte,
    a_kid_of_a_megabyte,
    a_sealed_nan_is_refused_and_pulls_stay_json,
    sealed_content_nested_too_deep,
    deeply_nested_json_body,
    nan_and_infinity_in_a_body,
    a_huge_integer_in_a_body,
    a_nul_in_a_device_label,
    a_device_label_that_is_not_text,
    body_that_is_not_utf8,
    cursor_past_2_to_the_63,
    limit_past_2_to_the_63,
    a_nul_in_a_query_parameter,
    admin_audit_object_id_with_a_nul,
    admin_audit_a_huge_page,
    admin_audit_date_to_the_end_of_time,
    review_queue_a_huge_page_or_the_end_of_time,
    a_nul_in_any_pages_query,
    bad_csrf_token_without_a_cookie_is_401,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_hostile_input_is_answered_4xx_never_5xx(app, demo, api_client, case):
    case(Ctx(app=app, demo=demo, hv=api_client("hv")))


def test_the_app_never_writes_nan_or_infinity_into_an_answer(app):
    # Were one to slip past the checks above, it is a logged server error rather
    # than an answer no client's JSON parser reads.
    for constant in (float("nan"), float("inf")):
        with app.app_context(), pytest.raises(ValueError, match="not JSON compliant"):
            app.json.dumps({"value": constant})
