"""Issue 11 item 5: leads told at once. An urgent flag or an overdue review writes a
notification for each team lead in the event's own transaction; `flask --app visitcheck
notify send` delivers it through SMTP (or the log), once, even when the mail server
refuses at first or two hosts send at the same time."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.review_support import (
    record_concern,
    set_checklist,
    submit_checklist,
    web_client,
)
from tests.smtp_server import SmtpServer
from visitcheck.auth.models import User
from visitcheck.extensions import db
from visitcheck.notify import service as notify
from visitcheck.notify.models import Notification

LEAD_EMAIL = "grace.okafor@team.example"


def _urgent_visit(app, demo, api_client) -> str:
    """hv submits a visit to Flat 6, where Craig (of concern) has regular unsupervised
    contact with Ava: the server's rules raise the urgent poc-contact flag."""
    hv = api_client("hv")
    record_concern(app, hv, demo)
    household = demo.households[1]
    return submit_checklist(hv, household, demo.children[household])


def _rows(app) -> list[dict]:
    with app.app_context():
        return [{"kind": n.kind, "event": n.event, "to": n.recipient.username,
                 "sent_via": n.sent_via, "sent": n.sent_at is not None,
                 "attempts": n.attempts, "error": n.last_error}
                for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def _lead_address(app, email: str = LEAD_EMAIL) -> None:
    result = app.test_cli_runner().invoke(args=["notify", "address", "lead", email])
    assert result.exit_code == 0, result.output


def _mail_app(another_app, app_config, port: int):
    return another_app(dataclasses.replace(app_config, mail_server="127.0.0.1",
                                           mail_port=port,
                                           base_url="https://visitcheck.example"))


def test_an_urgent_flag_is_written_for_the_lead_once_with_the_submission(app, demo, api_client):
    checklist = _urgent_visit(app, demo, api_client)
    rows = _rows(app)
    assert rows == [{"kind": "urgent-flag", "event": f"urgent-flag:{checklist}:1", "to": "lead",
                     "sent_via": None, "sent": False, "attempts": 0, "error": None}]
    # The rules run again (the lead opens the queue, facts are refreshed): still one.
    with app.app_context():
        checklist_row = db.session.scalars(select(notify.Checklist).where(
            notify.Checklist.uuid == checklist)).one()
        assert notify.urgent_flags_raised(db.session, flagged=[
            (checklist_row, [{"rule": "poc-contact", "severity": "urgent"}])]) == 0
        db.session.commit()
    assert len(_rows(app)) == 1


def test_a_quiet_visit_tells_nobody(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    submit_checklist(hv, household, demo.children[household])
    assert _rows(app) == []


def test_a_refused_email_is_kept_and_sent_exactly_once_when_the_server_accepts(
        app, demo, api_client, another_app, app_config):
    checklist = _urgent_visit(app, demo, api_client)
    _lead_address(app)
    with SmtpServer() as smtp:
        mail_app = _mail_app(another_app, app_config, smtp.port)
        smtp.state.refuse = True
        failed = mail_app.test_cli_runner().invoke(args=["notify", "send"])
        assert failed.exit_code == 1
        assert "failed 1" in failed.output
        assert smtp.state.refused == 1
        assert smtp.state.messages == []
        [row] = _rows(app)
        assert (row["sent"], row["attempts"]) == (False, 1)
        assert row["error"].startswith("SMTPDataError")

        smtp.state.refuse = False
        sent = mail_app.test_cli_runner().invoke(args=["notify", "send"])
        assert sent.exit_code == 0, sent.output
        again = mail_app.test_cli_runner().invoke(args=["notify", "send"])
        assert "sent 0" in again.output

    [message] = smtp.state.messages
    assert message.recipients == [LEAD_EMAIL]
    assert f"https://visitcheck.example/review/{checklist}" in message.data
    # No personal data: no name, no address, no answer, no rule's reason.
    for private in ("Craig", "Ava", "Whitfield", "Dana", "Beech House", "Flat 6",
                    "Seen at home", "neighbour"):
        assert private not in message.data
    [row] = _rows(app)
    assert (row["sent"], row["sent_via"], row["attempts"], row["error"]) == (
        True, "smtp", 2, None)


def test_two_senders_at_once_send_each_notification_once(
        app, demo, api_client, another_app, app_config):
    _urgent_visit(app, demo, api_client)
    hv = api_client("hv")
    for household in demo.households[1:2]:  # a second urgent submission
        submit_checklist(hv, household, demo.children[household], note="Again")
    _lead_address(app)
    assert len(_rows(app)) == 2
    with SmtpServer() as smtp:
        hosts = [_mail_app(another_app, app_config, smtp.port) for _ in range(2)]
        start = threading.Barrier(2)
        reports = []

        def run(host):
            with host.app_context():
                config = host.config["VISITCHECK"]
                start.wait()
                reports.append(notify.deliver_due(db.session, mailer=notify.mailer_for(config),
                                                  base_url=config.base_url))
                db.session.remove()

        threads = [threading.Thread(target=run, args=(host,)) for host in hosts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(smtp.state.messages) == 2
    assert sum(r.sent for r in reports) == 2
    assert sorted(m.data.count("/review/") for m in smtp.state.messages) == [1, 1]
    assert len({m.data.split("/review/")[1][:36] for m in smtp.state.messages}) == 2
    assert all(r["sent"] for r in _rows(app))


def test_without_a_mail_server_the_notification_goes_to_the_log(app, demo, api_client, caplog):
    checklist = _urgent_visit(app, demo, api_client)
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert f"/review/{checklist}" in caplog.text
    assert [r["sent_via"] for r in _rows(app)] == ["log"]


def test_a_review_overdue_is_told_once_and_listed_on_the_leads_pages(app, demo, api_client):
    checklist = _urgent_visit(app, demo, api_client)
    set_checklist(app, checklist, submitted_at=datetime.now(UTC) - timedelta(days=5))
    for _ in range(2):
        assert app.test_cli_runner().invoke(args=["notify", "send"]).exit_code == 0
    kinds = sorted(r["kind"] for r in _rows(app))
    assert kinds == ["overdue-review", "urgent-flag"]

    lead = web_client(app, "lead")
    queue = lead.get("/review").get_data(as_text=True)
    assert 'id="attention-heading"' in queue
    assert queue.count(f'href="/review/{checklist}"') >= 2
    assert "An urgent flag was raised" in queue
    assert "Overdue for review" in queue
    page = lead.get(f"/review/{checklist}").get_data(as_text=True)
    assert 'id="attention-heading"' in page

    # Once decided, it no longer needs attention.
    from tests.review_support import csrf_token
    lead.post(f"/review/{checklist}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": "approve"})
    assert "An urgent flag was raised" not in lead.get("/review").get_data(as_text=True)


def test_a_lead_of_another_team_is_not_told(app, demo, api_client):
    from tests.review_support import other_team
    other_team(app)
    _urgent_visit(app, demo, api_client)
    assert [r["to"] for r in _rows(app)] == ["lead"]
    with app.app_context():
        assert db.session.scalars(select(User).where(User.username == "lead2")).one()
