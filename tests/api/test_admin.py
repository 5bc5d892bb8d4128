"""Administration: accounts, caseloads, devices, the audit trail; never family content."""

from __future__ import annotations

from sqlalchemy import select

from tests.review_support import csrf_token, pull_all, submit_checklist, web_client
from visitcheck.auth.models import Team
from visitcheck.extensions import db

FAMILY_WORDS = ["Alder Row", "Damson Street", "Kerry Lawson", "Craig Whitfield", "Seen at home"]


def test_admin_pages_show_ids_and_counts_never_family_content(app, demo, api_client):
    hv = api_client("hv")
    submit_checklist(hv, demo.households[0], demo.children[demo.households[0]])
    admin = web_client(app, "admin")
    for path in ["/admin", "/admin/users", "/admin/caseloads", "/admin/devices",
                 "/admin/templates", "/admin/audit"]:
        body = admin.get(path).get_data(as_text=True)
        assert [w for w in FAMILY_WORDS if w in body] == [], path
    caseloads = admin.get("/admin/caseloads").get_data(as_text=True)
    assert demo.households[0] in caseloads
    assert "3 people" in caseloads


def test_assigning_a_household_puts_it_on_the_practitioners_pull(app, demo, api_client):
    admin = web_client(app, "admin")
    school = demo.school_households[0]
    answer = admin.post("/admin/caseloads", data={
        "csrf_token": csrf_token(admin), "user": demo.users["hv"], "household": school})
    assert answer.status_code == 302
    households = {c["entity_id"] for c in pull_all(api_client("hv"))
                  if c["type"] == "household"}
    assert school in households
    trail = admin.get("/admin/audit?action=admin.caseload").get_data(as_text=True)
    assert "admin.caseload_assign" in trail


def test_creating_and_deactivating_a_user_ends_their_sessions(app, demo):
    admin = web_client(app, "admin")
    team = admin.get("/admin/users").get_data(as_text=True)
    assert "Northfield 0-19 Team" in team
    created = admin.post("/admin/users", data={
        "csrf_token": csrf_token(admin), "username": "hv3", "name": "New Visitor",
        "role": "health_visitor", "team": _team_id(app), "password": "a-long-password"})
    assert created.status_code == 302
    nurse = web_client(app, "sn")
    assert nurse.get("/api/v1/bootstrap").status_code == 200
    answer = admin.post(f"/admin/users/{demo.users['sn']}", data={
        "csrf_token": csrf_token(admin), "role": "school_nurse", "team": _team_id(app)})
    assert answer.status_code == 302
    assert nurse.get("/api/v1/bootstrap").status_code == 401


def test_an_administrator_cannot_remove_their_own_rights(app, demo):
    admin = web_client(app, "admin")
    answer = admin.post(f"/admin/users/{demo.users['admin']}", data={
        "csrf_token": csrf_token(admin), "role": "team_lead", "team": _team_id(app),
        "active": "y"})
    assert answer.status_code == 400
    assert "cannot remove your own" in answer.get_data(as_text=True)


def test_revoking_a_lost_device_from_the_admin_pages(app, demo, api_client):
    hv = api_client("hv")
    admin = web_client(app, "admin")
    answer = admin.post(f"/admin/devices/{hv.device_id}/revoke", data={
        "csrf_token": csrf_token(admin), "mode": "lost"})
    assert answer.status_code == 302
    assert "Revoked (lost)" in admin.get("/admin/devices").get_data(as_text=True)
    assert hv.pull().status_code in (401, 410)


def _team_id(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Team.uuid).where(
            Team.name == "Northfield 0-19 Team")).one()


def test_the_administrator_finds_a_household_by_address_or_name_and_assigns_it(
        app, demo):
    """Issue 16 item 4: caseloads are assigned by searching addresses and names; the
    search is audited with the households it showed; one letter finds nothing."""
    from sqlalchemy import select

    from tests.review_support import csrf_token, web_client
    from visitcheck.audit.models import AuditEvent
    from visitcheck.auth.models import User
    from visitcheck.extensions import db
    from visitcheck.people.models import CaseloadAssignment, Household

    admin = web_client(app, "admin")
    page = admin.get("/admin/caseloads?q=alder").get_data(as_text=True)
    assert "14 Alder Row" in page
    assert "Cedar Close" not in page
    assert "1 found" in page
    by_name = admin.get("/admin/caseloads?q=craig+whitfield").get_data(as_text=True)
    assert "Flat 6, Beech House" in by_name
    assert "Alder Row" not in admin.get("/admin/caseloads?q=a").get_data(as_text=True)
    with app.app_context():
        searches = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.household_search")).all()
        assert demo.households[0] in (searches[0].subjects or "")
        sn = db.session.scalars(select(User).where(User.username == "sn")).one()

    alder = demo.households[0]
    answer = admin.post("/admin/caseloads?q=alder", data={
        "csrf_token": csrf_token(admin), "household": alder, "user": demo.users["sn"]})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with app.app_context():
        held = db.session.scalars(select(Household.uuid).join(
            CaseloadAssignment, CaseloadAssignment.household_id == Household.id)
            .where(CaseloadAssignment.user_id == sn.id)).all()
        assert alder in held
