"""Every route that shows personal data leaves an audit entry: the test walks the
app's url_map and requests each GET route as a role that may see it, with real ids
from the demo data. A new route must either audit its reads or be named below
with the reason it shows none."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import make_checklist, make_concern
from tests.review_support import web_client
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db

# Routes that show no one's personal data (staff accounts are not the records the
# audit rule is about), and why.
SHOWS_NO_PERSONAL_DATA = {
    "static": "files of the app",
    "auth.login": "the sign-in form",
    "auth.index": "a redirect to the user's start page",
    "api.sync.bootstrap": "the signed-in user's own name, the policy, keys and templates",
    "admin.index": "counts of accounts, devices and households",
    "admin.users": "staff accounts",
    "admin.user": "one staff account",
    "admin.caseloads": ("household ids and member counts; a search (?q=) shows "
                        "addresses and names and is audited (test_admin)"),
    "admin.devices": "device ids and their users",
    "admin.revoke": "a form",
    "admin.templates": "template versions",
    "admin.import_export": "an upload form",
    "retention.holds": "hold ids, reasons and purge reports (ids and counts)",
    "shell.app_shell": "the app shell; data comes by pull",
    "shell.offline": "the offline page",
    "shell.service_worker": "the service worker",
}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_every_get_route_that_shows_personal_data_is_audited(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    children = demo.children[household]
    checklist = make_checklist(hv, household, children)
    adult = next(iter(set(_member_ids(hv, household)) - set(children)))
    make_concern(hv, adult, {children[0]: "regular_unsupervised"})
    clients = {"hv": hv.client, "lead": web_client(app, "lead"),
               "admin": web_client(app, "admin")}
    # Which role asks, and the real ids and query each route needs.
    who = {"review.": "lead", "people.": "lead", "admin.": "admin", "retention.": "admin",
           "api.": "hv", "shell.": "hv", "auth.": "hv", "visits.": "lead", "chronology.": "lead"}
    values = {"checklist_id": checklist, "household_id": household,
              "user_id": demo.users["hv"], "device_id": hv.device_id,
              "child_id": children[0]}
    queries = {"retention.access": {"person": children[0]}, "api.sync.pull": {"cursor": 0}}

    walked, unaudited = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SHOWS_NO_PERSONAL_DATA:
            continue
        role = next(r for prefix, r in who.items() if rule.endpoint.startswith(prefix))
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments},
                          **queries.get(rule.endpoint, {}))
        before = _count(app)
        answer = clients[role].get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        walked.append(rule.endpoint)
        if _count(app) == before:
            unaudited.append(url)

    assert unaudited == []
    assert set(walked) >= {"review.queue", "review.checklist", "review.alerts",
                           "people.family_map", "api.sync.pull", "admin.audit",
                           "retention.access"}


def _member_ids(hv, household: str) -> list[str]:
    page = hv.pull(limit=500).get_json()
    data = next(c["data"] for c in reversed(page["changes"])
                if c["type"] == "household" and c["entity_id"] == household)
    return [m["person_id"] for m in data["members"]]


def test_the_alerts_page_audits_each_alert_with_its_person_and_household(app, demo,
                                                                         api_client):
    hv = api_client("hv")
    household = demo.households[0]
    children = demo.children[household]
    adult = next(iter(set(_member_ids(hv, household)) - set(children)))
    concern = make_concern(hv, adult, {children[0]: "regular_unsupervised"})
    lead = web_client(app, "lead")

    assert lead.get("/review/alerts").status_code == 200

    with app.app_context():
        items = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "alert.read")).all()
    assert [i.object_id for i in items] == [concern]
    assert f"person:{adult}" in items[0].subjects
    assert f"household:{household}" in items[0].subjects


def test_alerts_shown_on_a_checklist_page_are_audited_item_by_item(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    children = demo.children[household]
    adult = next(iter(set(_member_ids(hv, household)) - set(children)))
    concern = make_concern(hv, adult, {children[0]: "regular_unsupervised"})
    checklist = make_checklist(hv, household, children)
    lead = web_client(app, "lead")

    assert lead.get(f"/review/{checklist}").status_code == 200

    with app.app_context():
        items = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "alert.read")).all()
    assert [i.object_id for i in items] == [concern]
    assert f"household:{household}" in items[0].subjects
