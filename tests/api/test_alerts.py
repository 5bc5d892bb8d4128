"""L1: a concern linked to a household with children alerts every professional holding
that household; they acknowledge on the tablet; the lead sees who has and has not."""

from __future__ import annotations

from sqlalchemy import select

from tests.review_support import (
    apply,
    hold_household,
    link,
    new_id,
    pull_all,
    record_concern,
    web_client,
)
from visitcheck.extensions import db
from visitcheck.people.models import Household
from visitcheck.sharing import service as sharing

PROTECTED = "canary-protected-source-91ad"


def _alerts(api) -> dict[str, dict]:
    latest = {}
    for change in pull_all(api):
        if change["type"] == "alert":
            latest[change["entity_id"]] = change["data"]
    return latest


def _craig_visits_the_carters(app, demo, api_client):
    """hv records a concern about Craig; he is then linked to the Carters' household
    (sn's caseload, two children), which hv also holds."""
    hv = api_client("hv")
    concern, craig = record_concern(app, hv, demo, protect_source=True, source=PROTECTED)
    school = demo.school_households[0]
    hold_household(app, "hv", school)
    assert link(hv, school, craig)["status"] == "applied"
    return hv, concern, craig


def _unaware(app, household_id: str) -> list[str]:
    with app.app_context():
        household = db.session.scalars(
            select(Household).where(Household.uuid == household_id)).one()
        return [p.name for p in sharing.unacknowledged_professionals(db.session, household)]


def test_linking_a_concern_to_a_second_household_alerts_the_school_nurse(app, demo,
                                                                         api_client):
    sn = api_client("sn")
    assert _alerts(sn) == {}
    _, concern, craig = _craig_visits_the_carters(app, demo, api_client)

    alerts = _alerts(sn)
    assert len(alerts) == 1
    alert = next(iter(alerts.values()))
    assert alert["concern_id"] == concern
    assert alert["person_id"] == craig
    assert alert["person_name"] == "Craig Whitfield"
    assert alert["household_id"] == demo.school_households[0]
    assert alert["household_address"].startswith("27 Damson Street")
    assert sorted(alert["children"]) == ["Jayden Carter", "Skye Carter"]
    assert "allegation without an outcome" in alert["basis"]
    assert alert["acknowledged_at"] is None
    assert PROTECTED not in str(alert)
    assert "source" not in alert


def test_the_acknowledgement_reaches_the_leads_view_and_is_idempotent(app, demo, api_client):
    sn = api_client("sn")
    _craig_visits_the_carters(app, demo, api_client)
    alert_id = next(iter(_alerts(sn)))
    lead = web_client(app, "lead")
    before = lead.get("/review/alerts").get_data(as_text=True)
    assert "Craig Whitfield at 27 Damson Street" in before
    assert "Tom Reid</td><td>school nurse</td>" in before
    assert "(1 not yet acknowledged)" in before
    assert _unaware(app, demo.school_households[0]) == ["Tom Reid"]

    ack = {"alert_id": alert_id, "acknowledged_at": "2026-11-24T09:15:00+00:00"}
    first = apply(sn, "alert.ack", alert_id, ack, base_rev=1)
    assert first["status"] == "applied"
    again = apply(sn, "alert.ack", alert_id, {**ack, "acknowledged_at":
                                               "2026-11-24T10:00:00+00:00"}, base_rev=1)
    assert again["status"] == "applied"  # set-like: never a conflict
    assert again["rev"] == first["rev"]

    after = lead.get("/review/alerts").get_data(as_text=True)
    assert "not yet acknowledged" not in after
    assert _unaware(app, demo.school_households[0]) == []
    assert _alerts(sn)[alert_id]["acknowledged_at"] is not None


def test_only_the_recipient_may_acknowledge(app, demo, api_client):
    sn = api_client("sn")
    hv, *_ = _craig_visits_the_carters(app, demo, api_client)
    alert_id = next(iter(_alerts(sn)))
    result = apply(hv, "alert.ack", alert_id,
                   {"alert_id": alert_id, "acknowledged_at": "2026-11-24T09:15:00+00:00"})
    assert result["status"] == "rejected"
    assert _unaware(app, demo.school_households[0]) == ["Tom Reid"]
    bad = apply(sn, "alert.ack", alert_id, {"alert_id": new_id(), "acknowledged_at": "x"})
    assert bad["status"] == "rejected"
    assert {e["field"] for e in bad["error"]["errors"]} == {"alert_id", "acknowledged_at"}


def test_whoever_recorded_the_concern_is_counted_as_aware(app, demo, api_client):
    hv, *_ = _craig_visits_the_carters(app, demo, api_client)
    mine = _alerts(hv)
    assert len(mine) == 2  # Flat 6 and the Carters, both on hv's caseload
    assert all(a["acknowledged_at"] for a in mine.values())
    assert _unaware(app, demo.households[1]) == []


def test_a_new_caseholder_is_alerted_and_one_alert_is_raised_only_once(app, demo, api_client):
    _craig_visits_the_carters(app, demo, api_client)
    hold_household(app, "sn", demo.households[1])
    sn = api_client("sn")
    alerts = _alerts(sn)
    assert sorted(a["household_address"][:12] for a in alerts.values()) == [
        "27 Damson St", "Flat 6, Beec"]
    hold_household(app, "sn", demo.households[1])
    assert len(_alerts(sn)) == 2
