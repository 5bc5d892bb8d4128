"""Building sealed ops in Python, as a device would (the format is DESIGN.md §6)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from visitcheck.keys import b64url_decode, seal, sealed_aad


def checklist_payload(household_id: str, *, status: str = "draft", answers=None) -> dict:
    return {
        "template": "home-visit",
        "template_version": 1,
        "household_id": household_id,
        "status": status,
        "answers": answers if answers is not None else {},
        "saved_at": datetime.now(UTC).isoformat(),
    }


def sealed_op(bootstrap: dict, payload: dict, *, entity_id: str | None = None,
              base_rev: int = 0, op_type: str = "checklist.put",
              op_id: str | None = None) -> dict:
    entity_id = entity_id or str(uuid.uuid4())
    op_id = op_id or str(uuid.uuid4())
    key = bootstrap["sealing_key"]
    envelope = seal(
        json.dumps(payload).encode(),
        public_key=b64url_decode(key["public_key"]),
        kid=key["kid"],
        aad=sealed_aad(op_type, entity_id, op_id, base_rev),
    )
    return {"op_id": op_id, "type": op_type, "entity_id": entity_id, "base_rev": base_rev,
            "sealed": envelope}


def complete_visit(children: list[str], note: str = "Mother and both children") -> dict:
    """S1 answered in full, as a submission needs."""
    return {
        "visit": {
            "visit_at": "2026-11-20T10:30",
            "visit_type": "new_birth",
            "no_access": False,
            "present": note,
            "children": {child: {"seen": True, "seen_alone": "no_not_age_appropriate"}
                         for child in children},
        }
    }
