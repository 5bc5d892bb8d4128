"""The tablet's built-in choices (only for a bootstrap stored before the server sent
`vocabulary`) cannot drift from the server's file: they are the same lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

from visitcheck.people import vocabulary

ROOT = Path(__file__).resolve().parents[2]


def _built_in() -> dict:
    source = (ROOT / "static" / "app" / "entities.js").read_text()
    block = re.search(r"const STORED_BEFORE_VOCABULARY = (\{.*?\n\});", source, re.S).group(1)
    as_json = re.sub(r"^(\s+)(\w+):", r'\1"\2":', block, flags=re.M)
    return json.loads(re.sub(r",(\s*[\]}])", r"\1", as_json))


def test_the_tablet_s_built_in_choices_are_the_server_s_vocabulary():
    assert _built_in() == vocabulary.vocabulary()


def test_the_server_words_a_code_as_the_tablet_labels_it_inside_a_sentence():
    assert vocabulary.words("residences")["overnight_weekly"] == "stays overnight weekly or more"
    assert vocabulary.codes("contact_levels") >= {"lives_with", "none_known"}
