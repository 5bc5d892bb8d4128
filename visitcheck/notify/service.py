"""Leads told at once (issue 11 item 5): when a checklist raises an urgent flag, or a
review becomes overdue, each team lead of its team gets a notification.

A notification is a row written in the same transaction as the event (the flag summary
being stored, the overdue check), unique per event and lead, so recording it twice — a
retried push, two hosts running the overdue check — tells nobody twice. Delivery is a
separate step (`deliver_due`, run by `flask --app visitcheck notify send` from cron or a
systemd timer): a row is claimed with one atomic UPDATE before the mail server is
called and marked sent only after the server accepted it, so a mail server that is down
loses nothing and several hosts sending at once send each notification once.

The email names no person: a link to the checklist, which asks the lead to sign in.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..auth.models import Role, User
from ..checklists.models import Checklist, ChecklistStatus
from ..config import Config
from ..database import DbSession, new_uuid, utcnow
from ..rules import overdue
from .models import Notification

log = logging.getLogger(__name__)

URGENT_FLAG = "urgent-flag"
OVERDUE_REVIEW = "overdue-review"
KIND_WORDS = {
    URGENT_FLAG: "An urgent flag was raised",
    OVERDUE_REVIEW: "Overdue for review: an urgent flag and no decision a working day on",
}
# Still awaiting the lead: what "needs attention" lists (review.decisions.DECIDABLE).
AWAITING = (ChecklistStatus.SUBMITTED.value, ChecklistStatus.ESCALATED.value)
# A sender that claimed a row and died (killed mid-send) leaves it claimed; after this
# long another run takes it again. A message the server accepted just before the crash
# may then be sent twice: the only way to lose none is to allow that rare repeat.
CLAIM_LEASE = timedelta(minutes=10)


# --- recording events ------------------------------------------------------------------


def _team_leads(session: DbSession, team_ids: Iterable[int]) -> dict[int, list[int]]:
    """The active leads of each of these teams, in one query."""
    leads: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    if leads:
        for team_id, user_id in session.execute(select(User.team_id, User.id).where(
                User.team_id.in_(list(leads)), User.role == Role.TEAM_LEAD.value,
                User.active.is_(True)).order_by(User.id)):
            leads[team_id].append(user_id)
    return leads


def _record(session: DbSession, *, kind: str, event: str, checklist: Checklist) -> int:
    return _record_many(session, kind=kind, events=[(event, checklist)])


def _record_many(session: DbSession, *, kind: str,
                 events: list[tuple[str, Checklist]]) -> int:
    """One row per lead of each checklist's team; an event already recorded is skipped
    (INSERT … ON CONFLICT DO NOTHING, so a concurrent recorder never fails the push).
    Two queries for them all, however many (a push's submissions)."""
    leads = _team_leads(session, {checklist.team_id for _, checklist in events})
    now = utcnow()
    rows = [{"uuid": new_uuid(), "kind": kind, "event": event, "recipient_id": lead,
             "team_id": checklist.team_id, "checklist_id": checklist.id, "created_at": now,
             "attempts": 0}
            for event, checklist in events for lead in leads[checklist.team_id]]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Notification).values(rows).on_conflict_do_nothing(
        index_elements=["event", "recipient_id"])
    # RETURNING lists the rows inserted (a multi-row insert's rowcount is -1 on psycopg).
    return len(session.execute(statement.returning(Notification.id)).all())


def _urgent(flags: Iterable[Any]) -> bool:
    return any(isinstance(f, dict) and f.get("severity") == "urgent" for f in flags)


def urgent_flags_raised(session: DbSession, *,
                        flagged: Iterable[tuple[Checklist, Iterable[Any]]]) -> int:
    """Called where the server stores a submission's flags: each checklist with an urgent
    flag at this revision is told to its team's leads once. Flushes, never commits."""
    return _record_many(session, kind=URGENT_FLAG, events=[
        (f"{URGENT_FLAG}:{checklist.uuid}:{checklist.rev}", checklist)
        for checklist, flags in flagged
        if checklist.status == ChecklistStatus.SUBMITTED.value and _urgent(flags)])


def record_overdue(session: DbSession, *, now: datetime | None = None) -> int:
    """Submissions that became overdue for review since the last check. Flushes."""
    now = now or utcnow()
    count = 0
    candidates = session.scalars(select(Checklist).where(
        Checklist.status == ChecklistStatus.SUBMITTED.value,
        Checklist.flag_summary.like('%"urgent"%')).order_by(Checklist.id))
    for checklist in candidates:
        if overdue.is_overdue(session, checklist, now=now) and checklist.submitted_at is not None:
            count += _record(session, kind=OVERDUE_REVIEW, checklist=checklist,
                             event=f"{OVERDUE_REVIEW}:{checklist.uuid}:"
                                   f"{checklist.submitted_at.isoformat()}")
    return count


# --- what needs the lead's attention ---------------------------------------------------


@dataclass(frozen=True)
class AttentionItem:
    checklist_id: str
    kind: str
    words: str
    raised_at: datetime
    practitioner: str
    visit_at: str | None


def attention(session: DbSession, *, lead: User) -> list[AttentionItem]:
    """What the lead was told of and has not decided yet: the same list as the emails."""
    rows = session.execute(
        select(Notification, Checklist).join(Checklist,
                                             Checklist.id == Notification.checklist_id)
        .where(Notification.recipient_id == lead.id, Checklist.team_id == lead.team_id,
               Checklist.status.in_(AWAITING))
        .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    seen: set[tuple[str, str]] = set()
    items = []
    for notification, checklist in rows:
        if (checklist.uuid, notification.kind) in seen:
            continue
        seen.add((checklist.uuid, notification.kind))
        items.append(AttentionItem(checklist.uuid, notification.kind,
                                   KIND_WORDS.get(notification.kind, notification.kind),
                                   notification.created_at, checklist.author.name,
                                   checklist.visit_at))
    return items


# --- delivery ---------------------------------------------------------------------------


class Mailer(Protocol):
    via: str

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Return only once the message is accepted; raise otherwise."""


class SmtpMailer:
    via = "smtp"

    def __init__(self, config: Config, timeout: float = 30.0):
        self.config = config
        self.timeout = timeout

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.config.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        assert self.config.mail_server  # noqa: S101 - chosen only when it is set
        with smtplib.SMTP(self.config.mail_server, self.config.mail_port,
                          timeout=self.timeout) as smtp:
            if self.config.mail_use_tls:
                smtp.starttls()
            if self.config.mail_username:
                smtp.login(self.config.mail_username, self.config.mail_password or "")
            smtp.send_message(message)


class LogMailer:
    """No mail server configured: the notification is written to the log instead."""

    via = "log"

    def send(self, *, to: str, subject: str, body: str) -> None:
        log.warning("notification (no MAIL_SERVER set) to %s: %s — %s", to or "no address",
                    subject, body.replace("\n", " "))


def mailer_for(config: Config) -> Mailer:
    return SmtpMailer(config) if config.mail_server else LogMailer()


def message_for(notification: Notification, *, base_url: str) -> tuple[str, str]:
    """Subject and body: a link to the checklist and what kind of event, never a name."""
    link = f"{base_url.rstrip('/')}/review/{notification.checklist.uuid}"
    words = KIND_WORDS.get(notification.kind, notification.kind)
    subject = ("visitcheck: urgent flag on a checklist" if notification.kind == URGENT_FLAG
               else "visitcheck: a checklist is overdue for review")
    body = (f"{words} on a checklist of your team.\n\n"
            f"Open it (you will be asked to sign in):\n{link}\n")
    return subject, body


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender first


def _claim(session: DbSession, notification_id: int, *, worker: str, now: datetime) -> bool:
    """One atomic UPDATE: the row is this sender's only if nobody holds a live claim on
    it and it is not sent. Works alike on SQLite and PostgreSQL (a concurrent UPDATE
    waits for the row lock, then finds the claim taken and changes nothing)."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None),
               or_(Notification.claimed_at.is_(None),
                   Notification.claimed_at < now - CLAIM_LEASE))
        .values(claimed_at=now, claimed_by=worker, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False))
    return cast(CursorResult, result).rowcount == 1


def deliver_due(session: DbSession, *, mailer: Mailer, base_url: str,
                worker: str | None = None, limit: int = 200,
                commit: Callable[[], None] | None = None) -> DeliveryReport:
    """Send what is waiting. Unlike a service it commits (through `commit`, the session's
    by default) after each claim and each outcome: a claim must be visible to the other
    senders before the mail server is called, and a sent mark must not wait for the
    rest of the batch."""
    commit = commit or session.commit
    worker = (worker or f"{socket.gethostname()}:{new_uuid()[:8]}")[:64]
    report = DeliveryReport()
    now = utcnow()
    due = list(session.scalars(
        select(Notification.id).where(
            Notification.sent_at.is_(None),
            or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - CLAIM_LEASE))
        .order_by(Notification.id).limit(limit)))
    commit()
    for notification_id in due:
        claimed = _claim(session, notification_id, worker=worker, now=utcnow())
        commit()
        if not claimed:
            report.skipped += 1
            continue
        notification = session.get(Notification, notification_id)
        assert notification is not None  # noqa: S101 - claimed just now, never deleted
        recipient = notification.recipient
        if (notification.checklist.status not in AWAITING or not recipient.active
                or recipient.team_id != notification.team_id):
            # Decided or withdrawn before it went out, or the lead has left the team
            # (the link would not open for them): nothing to tell any more.
            notification.sent_at = utcnow()
            notification.sent_via = "void"
            commit()
            report.skipped += 1
            continue
        subject, body = message_for(notification, base_url=base_url)
        address = notification.recipient.email or ""
        use = mailer if address else LogMailer()
        try:
            use.send(to=address, subject=subject, body=body)
        except (smtplib.SMTPException, OSError) as error:
            # Kept for the next run: the claim is released, the cause noted (no content).
            notification.claimed_at = None
            notification.claimed_by = None
            notification.last_error = f"{type(error).__name__}: {error}"[:200]
            commit()
            report.failed += 1
            log.warning("notification %s not sent, kept for the next run: %s",
                        notification.uuid, notification.last_error)
            continue
        notification.sent_at = utcnow()
        notification.sent_via = use.via
        notification.last_error = None
        commit()
        report.sent += 1
    return report
