"""The pull's answer is the same bytes however fast it is built (issue 14 item 2).

Each page the server sends is compared, byte for byte, with a straightforward
rebuilding of it: every checklist looked up on its own, its content and latest
decision read one by one, its stored flags decrypted row by row from the ORM, and
the whole answer serialised by Flask's JSON provider as the view once returned it.
Names and a lead's comment carry non-ASCII characters, so escaping counts too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import make_checklist, make_concern, make_household
from visitcheck.auth.models import User
from visitcheck.checklists import service as checklists
from visitcheck.checklists.models import Checklist
from visitcheck.database import iso_utc
from visitcheck.extensions import db, keyring
from visitcheck.feed.models import Change
from visitcheck.keys import decrypt_fields
from visitcheck.review import decisions as review
from visitcheck.rules import service as rules
from visitcheck.rules.models import ChecklistFlag
from visitcheck.sync import pull as pull_page


def _families(app, hv, count: int) -> None:
    for number in range(count):
        made = make_household(hv, f"{number} Rue de l’Église",
                              children=[{"name": f"Zoë Ñúñez {number}"}],
                              adults=[f"Jürgen {number}"])
        make_concern(hv, made["adults"][0], {made["children"][0]: "supervised"})
        make_checklist(hv, made["id"], made["children"])
    with app.app_context():
        while rules.evaluate_due_flags(db.session, keyring=keyring(), limit=50):
            db.session.commit()
        db.session.commit()


def _flags_row_by_row(checklist: Checklist) -> list[dict[str, Any]]:
    """The stored flags as the pull first served them: each row an ORM object,
    decrypted on its own."""
    out = []
    for row in db.session.scalars(select(ChecklistFlag).where(
            ChecklistFlag.checklist_id == checklist.id).order_by(ChecklistFlag.position)):
        fields = decrypt_fields(row, keyring=keyring())
        out.append({"rule": row.rule, "severity": row.severity, "subject": row.subject,
                    "reason": fields.get("reason", ""), "action": fields.get("action", ""),
                    "answers": fields.get("answers", []),
                    "subject_name": fields.get("subject_name"),
                    "raised_at": iso_utc(row.evaluated_at),
                    "at_visit": fields.get("at_visit", True)})
    return out


def _rebuilt(app, answer: dict[str, Any], user_id: int) -> bytes:
    """The page rebuilt the straightforward way, serialised as the view used to."""
    with app.test_request_context():
        user = db.session.get(User, user_id)
        entries = []
        for change in answer["changes"]:
            data = change["data"]
            if change["type"] == "checklist":
                checklist = db.session.scalars(select(Checklist).where(
                    Checklist.uuid == change["entity_id"])).one()
                data = {**checklists.checklist_content(checklist, keyring=keyring()),
                        "flags": _flags_row_by_row(checklist)}
            elif not data.get("deleted"):
                row = db.session.scalars(select(Change).where(
                    Change.seq == change["seq"])).one()
                page = pull_page._Page(db.session, [row], keyring=keyring())
                data = page.data(row, user=user)
            entries.append({"seq": change["seq"], "type": change["type"],
                            "entity_id": change["entity_id"], "rev": change["rev"],
                            "data": data})
        body = app.json.response({"changes": entries, "cursor": answer["cursor"],
                                  "more": answer["more"]}).get_data()
        db.session.rollback()
        return body


def _catch_up(app, hv, hv_id: int) -> list[bytes]:
    """Every page from cursor 0, each checked against its straightforward rebuilding."""
    cursor, more, bodies = 0, True, []
    while more:
        response = hv.pull(cursor=cursor, limit=500)
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        body = response.get_data()
        answer = json.loads(body)
        assert body == _rebuilt(app, answer, hv_id)
        cursor, more = answer["cursor"], answer["more"]
        bodies.append(body)
    return bodies


@pytest.mark.parametrize("page_bytes", [None, 3000])
def test_every_pull_page_is_byte_for_byte_its_straightforward_serialisation(
        app, demo, api_client, monkeypatch, page_bytes):
    hv = api_client("hv")
    _families(app, hv, 3)
    with app.app_context():
        lead = db.session.scalars(select(User).where(User.username == "lead")).one()
        hv_id = db.session.scalars(select(User.id).where(User.username == "hv")).one()
        returned = db.session.scalars(select(Checklist.uuid).where(
            Checklist.author_id == hv_id, Checklist.status == "submitted")).first()
        review.decide(db.session, lead=lead, public_id=returned, decision="return",
                      comment="Bitte prüfen — “Großvater” visits daily", keyring=keyring())
        db.session.commit()
    if page_bytes is not None:
        monkeypatch.setattr(pull_page, "PAGE_BYTES", page_bytes)
    needed, shortened = pull_page._needed, []

    def watched(session, rows, page_bytes):
        kept = needed(session, rows, page_bytes)
        shortened.append(len(kept) < len(rows))
        return kept

    monkeypatch.setattr(pull_page, "_needed", watched)
    bodies = _catch_up(app, hv, hv_id)
    assert any(shortened) == (page_bytes is not None)
    flags = sum(len(c["data"].get("flags", [])) for body in bodies
                for c in json.loads(body)["changes"] if c["type"] == "checklist")
    assert flags > 0, "checklists with stored flags were compared"
    assert (len(bodies) > 2) == (page_bytes is not None)
    # Cut where building every row the page read would have cut it: the rows a page
    # cannot reach are left unread, and that changes no page.
    monkeypatch.setattr(pull_page, "_needed", lambda session, rows, page_bytes: rows)
    assert _catch_up(app, hv, hv_id) == bodies
