"""Answers for every question a template shows, filled at random: what the
benchmarks push and evaluate as a realistic, full checklist."""

from __future__ import annotations

import random
from typing import Any

WORDS = ("mother father grandmother partner child baby nursery school visit home kitchen "
         "bedroom calm settled anxious tired playing talking shared discussed agreed "
         "referral safety plan support contact weekly evening weekend").split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _day(rng: random.Random) -> str:
    return f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"


def fill(fields: list[dict], rng: random.Random, repeats: dict[str, list[str]]) -> dict:
    """Every shown field answered. A repeated group gets a row for each id that
    `repeats` gives its kind (children, members, rows...); a kind it does not name
    is left empty (its rows would need entities the caller does not have)."""
    answers: dict[str, Any] = {}
    for field in fields:
        kind = field["type"]
        condition = field.get("show_if")
        if condition and answers.get(condition["field"]) != condition["equals"]:
            continue
        if kind == "text":
            answers[field["id"]] = _words(rng, 40 if field.get("multiline") else 6)
        elif kind == "boolean":
            answers[field["id"]] = False if field["id"] == "no_access" else rng.random() < 0.5
        elif kind == "number":
            answers[field["id"]] = rng.randint(0, 10)
        elif kind == "date":
            answers[field["id"]] = _day(rng)
        elif kind == "datetime":
            answers[field["id"]] = f"{_day(rng)}T10:30"
        elif kind == "choice":
            answers[field["id"]] = rng.choice(field["options"])["value"]
        elif kind == "multi":
            options = [o["value"] for o in field["options"]]
            answers[field["id"]] = rng.sample(options, min(2, len(options)))
        elif kind == "group" and field.get("repeat"):
            keys = repeats.get(field["repeat"], [])
            if keys:
                answers[field["id"]] = {key: fill(field["fields"], rng, repeats) for key in keys}
        elif kind == "group":
            answers[field["id"]] = fill(field["fields"], rng, repeats)
    return answers
