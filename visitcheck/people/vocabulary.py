"""The words for people and concerns: each list of choices (where someone lives,
what a concern rests on, contact with a child, ...) as [code, label] pairs, in the
order the tablet offers them. The one definition: the server checks codes against
it (people.payloads), writes its sentences with it (people.network, sharing,
chronology, review), and serves it to the tablet in /api/v1/bootstrap as
`vocabulary` (docs/api.md), which its forms offer."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .models import Residence


@cache
def vocabulary() -> dict[str, list[list[str]]]:
    text = resources.files(__package__).joinpath("vocabulary.json").read_text()
    loaded: dict[str, list[list[str]]] = json.loads(text)
    # The residence codes are also a column's values (people.models.Residence): a
    # file that disagrees with the table must stop the server, not store bad rows.
    if [code for code, _ in loaded["residences"]] != [r.value for r in Residence]:
        raise RuntimeError("vocabulary.json's residences differ from people.models.Residence")
    return loaded


def served() -> dict[str, Any]:
    """As the tablet gets it (a copy: the cached lists stay as loaded)."""
    return json.loads(json.dumps(vocabulary()))


def codes(name: str) -> set[str]:
    return {code for code, _ in vocabulary()[name]}


def words(name: str) -> dict[str, str]:
    """Code -> the label as it reads inside a sentence ("Lives here" -> "lives here")."""
    return {code: label[:1].lower() + label[1:] for code, label in vocabulary()[name]}
