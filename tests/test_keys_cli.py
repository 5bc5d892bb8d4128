"""keys rotate / keys status and templates load, through the CLI."""

from __future__ import annotations

import json
import os

from sqlalchemy import select

from tests.sealing import checklist_payload, sealed_op
from visitcheck.checklists import service as checklists
from visitcheck.extensions import db, keyring
from visitcheck.keys.service import current_sealing_key
from visitcheck.models_registry import ENCRYPTED_MODELS
from visitcheck.people import service as people
from visitcheck.people.models import Household
from visitcheck.rules import service as flags


def test_rotation_rewraps_every_record_under_the_new_master_key(app, demo, app_config,
                                                              master_key, another_app):
    from dataclasses import replace

    from visitcheck.keys import b64url_encode

    new_key = b64url_encode(os.urandom(32))
    # The operator puts the new key first and keeps the old one after it...
    rotating = another_app(replace(app_config, master_key=f"{new_key},{master_key}"))
    rotated = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    status = rotating.test_cli_runner().invoke(args=["keys", "status"])

    assert rotated.exit_code == 0, rotated.output
    with rotating.app_context():
        new_id = keyring().current_master_id
        for model in ENCRYPTED_MODELS:
            assert set(db.session.scalars(select(model.key_id))) <= {new_id}
    assert "households           4 re-wrapped" in rotated.output
    # ...and once every record is re-wrapped, the old key can go.
    after = another_app(replace(app_config, master_key=new_key))
    with after.app_context():
        household = db.session.scalars(select(Household)).first()
        assert people.household_address(household, keyring=keyring())
    assert f"households           {new_id}: 4" in status.output


def test_a_new_master_key_goes_first_in_the_key_file_and_the_old_one_stays(tmp_path):
    from visitcheck.keys import load_keyring
    from visitcheck.keys.keyring import add_master_key_to_file

    old = load_keyring(env_value=None, instance_path=tmp_path)
    new_id = add_master_key_to_file(tmp_path)
    ring = load_keyring(env_value=None, instance_path=tmp_path)

    assert ring.current_master_id == new_id
    assert set(ring.master_keys) == {new_id, old.current_master_id}
    assert oct((tmp_path / "master.key").stat().st_mode & 0o777) == "0o600"


def test_an_envelope_sealed_to_a_retired_sealing_key_still_opens(app, demo, api_client):
    hv = api_client("hv")
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))

    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--sealing-key"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert current_sealing_key(db.session).kid != hv.bootstrap["sealing_key"]["kid"]
    assert hv.push([op]).get_json()["results"][0]["status"] == "applied"


def test_templates_load_adds_a_version_and_refuses_to_change_one(app, tmp_path):
    v1 = next(t for t in checklists.builtin_template_files() if t["template"] == "home-visit")
    v3 = json.loads(json.dumps(v1))
    v3["version"] = 3  # the next version after the built-in ones
    v3["sections"][0]["fields"].append({"id": "interpreter", "type": "boolean",
                                        "label": "Interpreter used"})
    changed_v1 = {**v1, "title": "Something else"}
    (tmp_path / "v3.json").write_text(json.dumps(v3))
    (tmp_path / "v1.json").write_text(json.dumps(changed_v1))
    runner = app.test_cli_runner()

    added = runner.invoke(args=["templates", "load", str(tmp_path / "v3.json")])
    refused = runner.invoke(args=["templates", "load", str(tmp_path / "v1.json")])

    assert added.exit_code == 0, added.output
    assert refused.exit_code != 0
    assert "exists with other content" in refused.output
    with app.app_context():
        versions = [(t["template"], t["version"]) for t in checklists.all_templates(db.session)]
        assert ("home-visit", 3) in versions
        assert checklists.template_definition(db.session, template="home-visit",
                                              version=1) == v1


def test_version_1_entries_keep_rendering_validating_and_evaluating_after_a_new_version(
        app, demo, api_client, tmp_path):
    from tests.conftest import sign_in
    from tests.sealing import complete_visit
    from visitcheck.checklists.models import Checklist

    hv = api_client("hv")
    household = demo.households[0]
    draft = sealed_op(hv.bootstrap, checklist_payload(
        household, answers={"visit": {"no_access": False, "present": "made with v1"}}))
    assert hv.push([draft]).get_json()["results"][0]["status"] == "applied"

    v1 = next(t for t in checklists.builtin_template_files() if t["template"] == "home-visit")
    v3 = json.loads(json.dumps(v1))
    v3["version"] = 3  # the next version after the built-in ones
    v3["sections"][0]["fields"].append({"id": "interpreter", "type": "boolean",
                                        "label": "Interpreter used", "required": True})
    (tmp_path / "v3.json").write_text(json.dumps(v3))
    assert app.test_cli_runner().invoke(
        args=["templates", "load", str(tmp_path / "v3.json")]).exit_code == 0

    # The v1 entry is submitted under v1's questions: v3's required one is not asked.
    submit = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household])),
        entity_id=draft["entity_id"], base_rev=1)
    assert hv.push([submit]).get_json()["results"][0]["status"] == "applied"
    # A v1 entry answering a v3 question is refused; a v3 entry must answer it.
    wrong = complete_visit(demo.children[household])
    wrong["visit"]["interpreter"] = False
    v1_with_v2_answer = sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=wrong))
    v2_without = sealed_op(hv.bootstrap, {**checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household])),
        "template_version": 3})
    results = hv.push([v1_with_v2_answer, v2_without]).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[1]["error"]["errors"] == [{"field": "visit.interpreter",
                                              "message": "is required"}]

    with app.app_context():
        row = db.session.scalars(select(Checklist).where(
            Checklist.uuid == draft["entity_id"])).one()
        assert (row.template_version, row.status) == (1, "submitted")
        assert isinstance(flags.server_flags(db.session, row, keyring=keyring()), list)
    lead = app.test_client()
    sign_in(lead, "lead", "demo-password-1")
    page = lead.get(f"/review/{draft['entity_id']}").get_data(as_text=True)
    assert "Interpreter used" not in page
    assert "version 1" in page
