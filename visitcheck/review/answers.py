"""Every answer of a checklist, as the lead reads it: one renderer driven by the template
JSON, so a field or a grouping added to a template cannot be left off the lead's page.

It walks the template the way the tablet's form does (static/app/form.js): a group is an
object of its sub-fields; a repeated group is an object keyed by what it repeats over —
person ids for children / members / adults / parents / persons_of_concern, a row id for
"rows" — and each instance is shown under the person's name or the row's number. Choices
show their labels, dates and times are in UK local time in words, and answers the
template does not know (an older or newer template) are still shown under their key
rather than dropped. A choice of a person (`options_from`) shows the person's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..uk_time import when_words

# Shown on the tablet, never answered (form.js DISPLAY_ONLY).
DISPLAY_ONLY = {"note", "age_band"}
PERSON_REPEATS = {"children", "members", "adults", "parents", "persons_of_concern"}
UNKNOWN_PERSON = "A person not recorded in this household"


@dataclass(frozen=True)
class AnswerNode:
    """One answer (`value` set) or one group of answers (`children` set) under `label`."""

    label: str
    value: str | None = None
    multiline: bool = False
    children: list[AnswerNode] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class AnswerSection:
    code: str
    title: str
    lines: list[AnswerNode]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_words(field_: dict[str, Any], value: Any) -> str:
    """One answer in words: the choice's label, Yes/No, a date in words, the text as typed."""
    kind = field_.get("type")
    labels = {str(o.get("value")): str(o.get("label", o.get("value")))
              for o in field_.get("options", []) if isinstance(o, dict)}
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if kind in ("date", "datetime") and isinstance(value, str):
        return when_words(value)
    if kind == "number":
        return _number(value)
    if labels:
        return labels.get(str(value), str(value))
    return str(value)


class _Walker:
    def __init__(self, names: dict[str, str], flag_words: dict[str, str] | None = None):
        self.names = names
        self.flag_words = flag_words or {}

    def scope(self, fields: list[dict[str, Any]], answers: Any) -> list[AnswerNode]:
        if not isinstance(answers, dict):
            return [AnswerNode("Answer", str(answers))] if answers not in (None, "") else []
        nodes: list[AnswerNode] = []
        known = set()
        for field_ in fields:
            if not isinstance(field_, dict) or "id" not in field_:
                continue
            known.add(field_["id"])
            if field_.get("type") in DISPLAY_ONLY or field_["id"] not in answers:
                continue
            node = self.field(field_, answers[field_["id"]])
            if node is not None:
                nodes.append(node)
        # Never drop what was recorded: an answer the template does not name is shown too.
        for key, value in answers.items():
            if key not in known and value not in (None, "", [], {}):
                nodes.append(self.unknown(key, value))
        return nodes

    def field(self, field_: dict[str, Any], value: Any) -> AnswerNode | None:
        label = str(field_.get("label", field_["id"]))
        if value is None or value == "" or value == []:
            return None
        if field_.get("options_from") in PERSON_REPEATS:  # a person chosen by id: their name
            return AnswerNode(label, self.names.get(str(value), UNKNOWN_PERSON))
        if field_.get("type") != "group":
            if field_["id"] == "flag" and str(value) in self.flag_words:
                # An S8 action's flag, stored as its key (followup/answered.py): its words.
                return AnswerNode(label, self.flag_words[str(value)])
            return AnswerNode(label, value_words(field_, value),
                              multiline=bool(field_.get("multiline")))
        sub_fields = field_.get("fields", [])
        repeat = field_.get("repeat")
        if not repeat:
            return AnswerNode(label, children=self.scope(sub_fields, value))
        instances: list[AnswerNode] = []
        if repeat == "rows":
            rows = list(value.values()) if isinstance(value, dict) else \
                list(value) if isinstance(value, list) else [value]
            for number, row in enumerate(rows, start=1):
                instances.append(AnswerNode(f"{label}: {number}",
                                            children=self.scope(sub_fields, row)))
        elif isinstance(value, dict):
            for key, answers in value.items():
                title = self.names.get(key, UNKNOWN_PERSON) if repeat in PERSON_REPEATS \
                    else str(key)
                instances.append(AnswerNode(title, children=self.scope(sub_fields, answers)))
        else:
            instances.append(AnswerNode(label, str(value)))
        return AnswerNode(label, children=instances)

    def unknown(self, key: str, value: Any) -> AnswerNode:
        if isinstance(value, dict):
            return AnswerNode(key, children=[self.unknown(str(k), v) for k, v in value.items()])
        return AnswerNode(key, value_words({}, value))


def render_sections(template: dict[str, Any], answers: dict[str, Any], *,
                    names: dict[str, str], flag_words: dict[str, str] | None = None
                    ) -> list[AnswerSection]:
    """Every section of the template in its order, each with every answer given in it.
    `names` maps person ids to the names the lead may read; `flag_words` the keys of
    the flags raised now to their words (an S8 action's "flag it answers")."""
    walker = _Walker(names, flag_words)
    sections = [AnswerSection(str(s.get("code", "")), str(s.get("title", s.get("id", ""))),
                              walker.scope(s.get("fields", []), answers.get(str(s.get("id")), {})))
                for s in template.get("sections", []) if isinstance(s, dict)]
    known = {s.get("id") for s in template.get("sections", []) if isinstance(s, dict)}
    extra = [walker.unknown(str(k), v) for k, v in answers.items()
             if k not in known and v not in (None, "", [], {})]
    if extra:
        sections.append(AnswerSection("", "Other answers", extra))
    return sections


def person_ids(template: dict[str, Any], answers: dict[str, Any]) -> set[str]:
    """The person ids the answers are keyed by (groups repeated over people), so the
    caller can find the names of people no longer in the household."""
    found: set[str] = set()

    def walk(fields: list[Any], scope: Any) -> None:
        if not isinstance(scope, dict):
            return
        for field_ in fields:
            if isinstance(field_, dict) and field_.get("options_from") in PERSON_REPEATS \
                    and isinstance(scope.get(field_.get("id")), str):
                found.add(scope[field_["id"]])  # a person chosen by id
            if not isinstance(field_, dict) or field_.get("type") != "group":
                continue
            value = scope.get(field_.get("id"))
            if not isinstance(value, dict):
                continue
            repeat = field_.get("repeat")
            instances = list(value.values()) if repeat else [value]
            if repeat in PERSON_REPEATS:
                found.update(str(k) for k in value)
            for instance in instances:
                walk(field_.get("fields", []), instance)

    for section in template.get("sections", []):
        if isinstance(section, dict):
            walk(section.get("fields", []), answers.get(str(section.get("id")), {}))
    return found
