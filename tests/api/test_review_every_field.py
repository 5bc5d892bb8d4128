"""Issue 11 item 1: every answer on the lead's page. A visit is filled by walking the
template as stored and served (/api/v1/bootstrap): every field gets a distinct value,
every group repeated over people gets each person it may hold, every row group gets two
rows, every conditional follow-up is opened. It is submitted through the sync API as a
device would, and the lead's page must show every value — the choice's label, the
person's name, the date in words in UK local time — under its field's label."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from markupsafe import escape

from tests.review_support import person_id, record_concern, submit_answers, web_client
from visitcheck.checklists.service import builtin_template_files
from visitcheck.uk_time import when_words

HOUSEHOLD_PEOPLE = ("Dana Whitfield", "Craig Whitfield", "Ava Whitfield")


class Filler:
    """Distinct values for a template's fields, and what the lead's page must show."""

    def __init__(self, people: dict[str, dict[str, str]]):
        self.people = people  # repeat kind -> {person id: name}
        self.count = 0
        self.expected: list[tuple[list[str], str, str]] = []  # (group path, label, words)

    def _next(self) -> int:
        self.count += 1
        return self.count

    def value(self, field: dict[str, Any], forced: Any = None) -> tuple[Any, str]:
        n = self._next()
        kind = field["type"]
        if kind == "boolean":
            value = forced if forced is not None else n % 2 == 0
            return value, "Yes" if value else "No"
        if kind == "choice":
            options = field["options"]
            chosen = next(o for o in options if o["value"] == forced) if forced is not None \
                else options[n % len(options)]
            return chosen["value"], chosen["label"]
        if kind == "multi":
            options = field["options"]
            chosen = [options[n % len(options)], options[(n + 1) % len(options)]]
            return [o["value"] for o in chosen], ", ".join(o["label"] for o in chosen)
        if kind == "date":
            day = date(2026, 1, 1) + timedelta(days=n * 5)
            return day.isoformat(), when_words(day)
        if kind == "datetime":
            # Half in British Summer Time, half in winter: the page must convert both.
            moment = datetime(2026, 3, 1, 8, 0, tzinfo=UTC) + timedelta(days=n * 9, minutes=n)
            return moment.isoformat().replace("+00:00", "Z"), when_words(moment)
        if kind == "number":
            return 40 + n, str(40 + n)
        if kind == "text":
            text = f"Answer {n} to {field['id']}"
            return text, text
        raise AssertionError(f"the test does not know how to fill a {kind!r} field")

    def scope(self, fields: list[dict[str, Any]], path: list[str]) -> dict[str, Any]:
        # A follow-up opens when its condition holds: force the condition's answer.
        forced = {f["show_if"]["field"]: f["show_if"]["equals"]
                  for f in fields if f.get("show_if")}
        out: dict[str, Any] = {}
        for field in fields:
            if field["type"] in ("note", "age_band"):
                continue  # shown on the tablet, never answered
            if field["type"] == "group":
                out[field["id"]] = self.group(field, path)
                continue
            value, words = self.value(field, forced.get(field["id"]))
            out[field["id"]] = value
            self.expected.append((path, field["label"], words))
        return out

    def group(self, field: dict[str, Any], path: list[str]) -> dict[str, Any]:
        repeat = field.get("repeat")
        inner = [*path, field["label"]]
        if not repeat:
            return self.scope(field["fields"], inner)
        if repeat == "rows":
            return {f"row-{i}-{self._next()}": self.scope(field["fields"],
                                                          [*inner, f"{field['label']}: {i}"])
                    for i in (1, 2)}
        people = self.people[repeat]
        assert people, f"the household has nobody for a group repeated over {repeat}"
        return {pid: self.scope(field["fields"], [*inner, name]) for pid, name in people.items()}


class _Answers(HTMLParser):
    """Reads the answer sections back as (group path, label, value): the section heading,
    then each group's label (the group, a person's name, "Actions: 1") down to the
    answer, so a value is found only under the right person or row."""

    def __init__(self):
        super().__init__()
        self.found: set[tuple[tuple[str, ...], str, str]] = set()
        self.path: list[str] = []
        self.depth: list[int] = []  # dl depth at which each group on the path opened
        self.dl = 0
        self.text: str | None = None
        self.tag = ""
        self.label = ""
        self.in_answers = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("class") == "answers":
            self.in_answers, self.path, self.depth = True, [], []
        elif self.in_answers and tag in ("h2", "dt", "dd"):
            self.tag, self.text = tag, ""
            self.group = tag == "dt" and attrs.get("class") == "answer-group"
        elif self.in_answers and tag == "dl":
            self.dl += 1
            self.tag, self.text = "", None

    def handle_endtag(self, tag):
        if not self.in_answers:
            return
        if tag == "section":
            self.in_answers = False
        elif tag == "dl":
            self.dl -= 1
            while self.depth and self.depth[-1] > self.dl:
                self.depth.pop()
                self.path.pop()
        elif tag == "h2" and self.text is not None:
            self.path = [self.text.strip()]
            self.depth = [0]
        elif tag == "dt" and self.text is not None:
            if self.group:
                self.path.append(self.text.strip())
                self.depth.append(self.dl + 1)  # closes with the dl inside its dd
            else:
                self.label = self.text.strip()
        elif tag == "dd" and self.text is not None and self.tag == "dd":
            self.found.add((tuple(self.path), self.label, self.text.strip()))
        if tag in ("h2", "dt", "dd"):
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text += data


def builtin_versions(slug: str) -> list[int]:
    return sorted(t["version"] for t in builtin_template_files() if t["template"] == slug)


# Every built-in home-visit version: entries made under each keep rendering in full.
@pytest.mark.parametrize("version", builtin_versions("home-visit"))
def test_every_field_of_the_template_is_on_the_leads_page(app, demo, api_client, version):
    hv = api_client("hv")
    household = demo.households[1]  # Flat 6: Dana, Craig (of concern) and Ava
    record_concern(app, hv, demo)
    ids = {name: person_id(app, household, name) for name in HOUSEHOLD_PEOPLE}
    dana, craig, ava = (ids[n] for n in HOUSEHOLD_PEOPLE)
    filler = Filler({
        "children": {ava: "Ava Whitfield"},
        "members": {dana: "Dana Whitfield", craig: "Craig Whitfield", ava: "Ava Whitfield"},
        "adults": {dana: "Dana Whitfield", craig: "Craig Whitfield"},
        "parents": {dana: "Dana Whitfield", craig: "Craig Whitfield"},
        "persons_of_concern": {craig: "Craig Whitfield"},
    })
    template = next(t for t in hv.bootstrap["templates"]
                    if t["template"] == "home-visit" and t["version"] == version)
    answers = {s["id"]: filler.scope(s["fields"], [f"{s.get('code', '')} {s['title']}"])
               for s in template["sections"]}
    assert len(filler.expected) > 100  # the whole template, not a corner of it

    checklist_id = submit_answers(hv, household, answers, template_version=version)
    page = web_client(app, "lead").get(f"/review/{checklist_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)

    reader = _Answers()
    reader.feed(body)
    expected = {(tuple(path), label, words) for path, label, words in filler.expected}
    assert expected - reader.found == set()
    for section in template["sections"]:
        assert "Not answered." not in _section(body, f"{section['code']} {section['title']}")
    # People by name, rows by number, never an id or a code where words are due.
    for name in HOUSEHOLD_PEOPLE:
        assert f'<dt class="answer-group">{name}</dt>' in body
    assert '<dt class="answer-group">Actions: 2</dt>' in body
    assert all(pid not in _answers_part(body) for pid in ids.values())
    assert "2026-" not in _answers_part(body)  # no raw ISO date anywhere in the answers


def _section(body: str, heading: str) -> str:
    """The HTML of one answer section, from its heading to the next section."""
    start = body.index(f">{escape(heading)}</h2>")
    return body[start:body.index("</section>", start)]


def _answers_part(body: str) -> str:
    return body[body.index('<section class="answers"'):body.index('id="earlier-heading"')]
