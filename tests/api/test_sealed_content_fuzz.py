"""Hypothesis inside the sealed envelope, where schemathesis cannot reach: every
op type's plaintext, started from a valid one and bent (a field replaced by
arbitrary JSON, dropped, or added), sealed properly and pushed. Whatever it
holds, the op is answered (`applied`, `rejected`, `conflict`), never a server
error, and a pull afterwards is still strict JSON (issue 12 item 4)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.sealing import checklist_payload, sealed_op

SECTIONS = {"visit": ["visit_at", "visit_type", "no_access", "present", "children"],
            "household": ["members", "new_members", "notes"],
            "risky_adults": ["concerns"], "parents": ["parents"],
            "behaviour": ["no_disclosure", "children"],
            "grooming": ["behaviours", "isolation", "reassured", "reflection"],
            "technology": ["children"], "analysis": ["facts", "actions", "referrals"]}

# Arbitrary JSON as a client could send it (strict: finite numbers, safe integers).
scalars = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(["", "lives_here", "new_birth", "yes", "submitted", "2026-11-20",
                              "2026-11-20T10:30", "2026-11-20T10:30:00+00:00",
                              "00000000-0000-4000-8000-000000000000"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)


def _bases(demo) -> dict[str, dict]:
    household = demo.households[0]
    child = demo.children[household][0]
    now = datetime.now(UTC).isoformat()
    return {
        "checklist.put": checklist_payload(household, answers={
            "visit": {"present": "Mother", "no_access": False}}),
        "household.put": {"address": "1 Test Road", "professionals": []},
        "person.put": {"names": ["Ray Holt"], "aliases": [], "date_of_birth": None,
                       "estimated_age": None, "sex": "unknown", "is_child": False,
                       "children": []},
        "membership.put": {"household_id": household, "person_id": child,
                           "residence": "lives_here"},
        "concern.put": {"person_id": child, "basis": ["convicted_child_offence"],
                        "source": "Police", "source_date": "2026-10-01", "verified": True,
                        "protect_source": False, "fact_or_opinion": "fact",
                        "mappa_category": "1", "mappa_level": "1", "orders": "",
                        "works_with_children": "no", "contact": {child: "none"}},
        "alert.ack": {"alert_id": None, "acknowledged_at": now},
    }


@st.composite
def bent_ops(draw, bases: dict[str, dict]):
    op_type = draw(st.sampled_from(sorted(bases)))
    payload = json.loads(json.dumps(bases[op_type]))
    how = draw(st.sampled_from(["replace", "drop", "add", "answers", "whole"]))
    if how == "replace":
        payload[draw(st.sampled_from(sorted(payload)))] = draw(json_values)
    elif how == "drop":
        payload.pop(draw(st.sampled_from(sorted(payload))))
    elif how == "add":
        payload[draw(st.text(max_size=10))] = draw(json_values)
    elif how == "answers":
        section = draw(st.sampled_from(sorted(SECTIONS)))
        field = draw(st.sampled_from(SECTIONS[section]))
        op_type, payload = "checklist.put", json.loads(json.dumps(bases["checklist.put"]))
        payload["answers"] = {section: {field: draw(json_values)}}
        # Submitted too, so the server's rules run over what was stored.
        payload["status"] = draw(st.sampled_from(["draft", "submitted"]))
    else:
        payload = draw(json_values)
    base_rev = draw(st.sampled_from([0, 0, 1, 2**31 - 1]))
    return op_type, payload, base_rev


def test_any_sealed_content_is_answered_never_a_server_error(app, demo, api_client):
    hv = api_client("hv")
    bases = _bases(demo)

    @given(bent=bent_ops(bases))
    @settings(max_examples=250, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def push(bent):
        op_type, payload, base_rev = bent
        entity_id = str(uuid.uuid4())
        if op_type == "alert.ack" and isinstance(payload, dict) and "alert_id" in payload:
            payload["alert_id"] = entity_id
        op = sealed_op(hv.bootstrap, payload, entity_id=entity_id, base_rev=base_rev,
                       op_type=op_type)
        answer = hv.push([op])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        [result] = answer.get_json()["results"]
        assert result["status"] in {"applied", "rejected", "conflict"}, result

    push()
    # Everything stored is read back: the checklists with their server flags.
    pulled = hv.pull(limit=500)
    assert pulled.status_code == 200

    def refuse(constant: str):
        raise ValueError(constant)

    json.loads(pulled.get_data(as_text=True), parse_constant=refuse)
