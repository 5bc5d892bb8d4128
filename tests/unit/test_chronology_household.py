"""The household changes in a child's chronology, in Python: the shared cases
(tests/chronology_household_cases.json, also run in Chromium against chronology.js)
through chronology.service.household_member_entries, with the server's words."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from visitcheck.chronology.service import household_member_entries
from visitcheck.people.network import RESIDENCE_WORDS

CASES = json.loads((Path(__file__).resolve().parents[1]
                    / "chronology_household_cases.json").read_text())


def _wire(entry) -> dict:
    when = entry.when.astimezone(UTC)
    return {"when": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "kind": entry.kind, "source": entry.source, "record": entry.record,
            "fact_or_opinion": entry.fact_or_opinion, "event": entry.event}


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_the_household_changes_are_the_shared_cases(case):
    entries = household_member_entries(case["members"], child_id=CASES["child_id"],
                                       residence_words=RESIDENCE_WORDS)
    assert [_wire(e) for e in entries] == case["expect"]
