"""docs/openapi.json describes the running app: every API route is documented, and
real answers of each kind validate against the documented schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.sealing import checklist_payload, sealed_op
from visitcheck.keys import b64url_decode, b64url_encode

SPEC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
PREFIX = SPEC["servers"][0]["url"]


def _check(response, path: str, method: str = "get") -> dict:
    documented = SPEC["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in documented, f"{method.upper()} {path} answered undocumented {status}"
    answer = documented[status]
    if "$ref" in answer:
        answer = SPEC["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    (media, content), = answer["content"].items()
    assert response.mimetype == media
    schema = {"components": SPEC["components"], **content["schema"]}
    Draft202012Validator(schema).validate(response.get_json())
    return response.get_json()


def test_every_api_route_is_documented(app):
    routes = {
        (rule.rule.removeprefix(PREFIX), method.lower())
        for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in SPEC["paths"].items() for method in item}
    assert routes == documented


def test_answers_of_every_kind_match_the_spec(app, demo, api_client):
    anonymous = app.test_client()
    _check(anonymous.get(f"{PREFIX}/bootstrap"), "/bootstrap")
    hv = api_client("hv")
    _check(hv.get(f"{PREFIX}/bootstrap"), "/bootstrap")
    _check(hv.post(f"{PREFIX}/devices", {"device_id": hv.device_id}), "/devices", "post")
    _check(hv.post(f"{PREFIX}/devices", {"device_id": "x"}), "/devices", "post")

    household = demo.households[0]
    create = sealed_op(hv.bootstrap, checklist_payload(household))
    tampered = sealed_op(hv.bootstrap, checklist_payload(household))
    tampered["sealed"]["ct"] = b64url_encode(b64url_decode(tampered["sealed"]["ct"])[:-1] + b"\0")
    results = _check(hv.push([create, create, tampered]), "/sync/push", "post")["results"]
    stale = sealed_op(hv.bootstrap, checklist_payload(household),
                      entity_id=create["entity_id"], base_rev=0)
    results += _check(hv.push([stale]), "/sync/push", "post")["results"]
    assert [r["status"] for r in results] == ["applied", "duplicate", "rejected", "conflict"]

    _check(hv.push([create] * 101), "/sync/push", "post")
    _check(hv.post(f"{PREFIX}/sync/push", {"device_id": hv.device_id, "ops": [],
                                           "padding": "x" * (5 * 1024 * 1024)}),
           "/sync/push", "post")
    pull = _check(hv.pull(limit=2), "/sync/pull")
    assert pull["more"] is True
    _check(hv.get(f"{PREFIX}/sync/pull?cursor=-1"), "/sync/pull")


@pytest.mark.parametrize("path", ["/bootstrap", "/sync/pull"])
def test_a_revoked_device_is_answered_as_documented(app, demo, api_client, path):
    hv = api_client("hv")
    app.test_cli_runner().invoke(args=["devices", "revoke", hv.device_id, "--mode", "lost"])

    body = _check(hv.get(f"{PREFIX}{path}"), path)

    assert body["wipe"] is True


def test_hostile_answers_are_documented_too(app, demo, api_client):
    hv = api_client("hv")
    anonymous = app.test_client()

    _check(hv.get(f"{PREFIX}/bootstrap", headers={"X-Visitcheck-Device": "not-a-uuid"}),
           "/bootstrap")
    _check(anonymous.get(f"{PREFIX}/sync/pull", headers={"X-Visitcheck-Device": "x"}),
           "/sync/pull")
    _check(hv.get(f"{PREFIX}/sync/pull?cursor={2**63}"), "/sync/pull")
    _check(anonymous.post(f"{PREFIX}/sync/push", json={"ops": []},
                          headers={"X-CSRFToken": "nonsense"}), "/sync/push", "post")
    _check(hv.post(f"{PREFIX}/devices", {"device_id": hv.device_id, "label": "x" * 201}),
           "/devices", "post")
    bad_id = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))
    bad_id["op_id"] = "op-1"
    [result] = _check(hv.push([bad_id]), "/sync/push", "post")["results"]
    assert result["op_id"] is None
    raw = hv.client.post(f"{PREFIX}/sync/push", data='{"device_id": NaN, "ops": []}',
                         headers={"Content-Type": "application/json",
                                  "X-CSRFToken": hv.csrf})
    assert _check(raw, "/sync/push", "post")["type"].endswith("/invalid-json")
