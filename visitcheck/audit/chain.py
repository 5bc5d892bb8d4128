"""Chaining audit entries, and checking the chain.

An entry is chained just before the transaction that wrote it commits: the
commit takes the one-row chain head's lock (an UPDATE, held until commit, on
SQLite the database's write lock), numbers its entries after the head, hashes
each with HMAC-SHA256 over the previous entry's hash, and moves the head. The
lock is the last one a transaction takes and is held only for its commit, so it
never deadlocks with the feed lock and never makes a push wait on a page read
for long. Entries of a rolled-back transaction or savepoint are never chained.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..database import DbSession
from ..keys import Keyring, KeyUnavailable
from ..keys.chain import chain_mac, same_mac
from .models import AuditChainHead, AuditEvent

HEAD_ID = 1
# session.info keys: entries waiting to be chained; a keyring for sessions made
# outside Flask (scripts, tests).
PENDING = "visitcheck.audit_pending"
KEYRING = "visitcheck.audit_keyring"

# Where the chain finds the keyring when the session does not carry one: set by
# create_app (the current Flask app's keyring).
_keyring_provider: Callable[[], Keyring | None] = lambda: None  # noqa: E731


def use_keyring_provider(provider: Callable[[], Keyring | None]) -> None:
    global _keyring_provider
    _keyring_provider = provider


def add_pending(session: DbSession, entry: AuditEvent) -> None:
    session.info.setdefault(PENDING, []).append(entry)


def canonical(entry: AuditEvent) -> bytes:
    """Every column of the entry except its hash: what the hash vouches for."""
    return json.dumps({
        "id": entry.id,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "ip": entry.ip,
        "detail": entry.detail,
        "device_id": entry.device_id,
        "subjects": entry.subjects,
        "key": entry.chain_key_id,
    }, sort_keys=True, separators=(",", ":")).encode()


def _keyring(session: Session) -> Keyring:
    ring = session.info.get(KEYRING) or _keyring_provider()
    if ring is None:
        # An entry that cannot be chained must not be written unchained.
        raise KeyUnavailable("no keyring to chain the audit entries with")
    return ring


def _take_head(session: Session, count: int) -> tuple[int, str]:
    """Lock the head and reserve `count` places: (last place reserved, previous hash)."""
    row = session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
        .values(seq=AuditChainHead.seq + count)
        .returning(AuditChainHead.seq, AuditChainHead.chain_hash)
    ).first()
    if row is None:
        # A database emptied without its head row: start the chain. Two workers may
        # both try; the one that loses waits for the other's row and takes it.
        try:
            with session.begin_nested():
                session.add(AuditChainHead(id=HEAD_ID, seq=0, chain_hash=""))
        except IntegrityError:
            pass
        return _take_head(session, count)
    return int(row[0]), str(row[1])


@sa_event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(PENDING):
        return
    # Entries added in a savepoint that was rolled back have left the session.
    pending = [e for e in session.info.pop(PENDING) if e in session]
    if not pending:
        return
    ring = _keyring(session)
    session.flush()  # ids first: they are part of what is hashed
    last, previous = _take_head(session, len(pending))
    for place, entry in enumerate(pending, start=last - len(pending) + 1):
        entry.seq = place
        entry.chain_key_id = ring.current_master_id
        entry.chain_hash = chain_mac(ring, key_id=entry.chain_key_id, previous=previous,
                                     entry=canonical(entry))
        previous = entry.chain_hash
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                    .values(chain_hash=previous))
    session.flush()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


# --- verification ---------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    checked: int  # chained entries whose hash was checked
    before_chain: int  # entries written before the chain existed (not verifiable)
    broken_entry: int | None  # id of the first broken entry, when one is
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.problem is None


VERIFY_BATCH = 1000


def verify(session: DbSession, *, keyring: Keyring) -> ChainReport:
    """Walk the chain in order; the first entry whose hash, place or presence is wrong
    is named. Ordering by `seq`, so a swap shows as a wrong hash at the first moved."""
    first_chained = session.scalar(select(func.min(AuditEvent.id))
                                   .where(AuditEvent.seq.is_not(None)))
    unchained = select(AuditEvent.id).where(AuditEvent.seq.is_(None))
    before = 0
    if first_chained is not None:
        before = session.scalar(select(func.count()).select_from(
            unchained.where(AuditEvent.id < first_chained).subquery())) or 0
        stray = session.scalar(unchained.where(AuditEvent.id > first_chained)
                               .order_by(AuditEvent.id).limit(1))
        if stray is not None:
            return ChainReport(0, before, stray, f"entry {stray} is not in the chain "
                               "(written outside the app, or its chain fields erased)")
    previous, expected, checked = "", 1, 0
    last_id: int | None = None
    for entry in _in_order(session):
        if entry.seq != expected:
            return ChainReport(checked, before, entry.id,
                               f"entry {entry.id} has place {entry.seq} where {expected} was "
                               f"expected: the entry at place {expected} was deleted or moved")
        try:
            mac = chain_mac(keyring, key_id=entry.chain_key_id or "", previous=previous,
                            entry=canonical(entry))
        except KeyUnavailable:
            return ChainReport(checked, before, entry.id,
                               f"entry {entry.id} was chained under master key "
                               f"{entry.chain_key_id}, which is not in the keyring")
        if not same_mac(mac, entry.chain_hash or ""):
            return ChainReport(checked, before, entry.id,
                               f"entry {entry.id} (place {entry.seq}) does not match its hash: "
                               "it or the entry before it was altered, or they were reordered")
        previous, expected, checked, last_id = entry.chain_hash or "", expected + 1, \
            checked + 1, entry.id
    head = session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.chain_hash) if head else (0, "")
    if head_seq != expected - 1 or head_hash != previous:
        return ChainReport(checked, before, last_id,
                           f"the chain ends at place {expected - 1} but its head says "
                           f"{head_seq}: entries after entry {last_id} were deleted")
    return ChainReport(checked, before, None, None)


def _in_order(session: DbSession) -> Iterator[AuditEvent]:
    """Chained entries by place, a batch at a time (no cursor left open on an early end)."""
    after: int | None = None
    while True:
        query = select(AuditEvent).where(AuditEvent.seq.is_not(None))
        if after is not None:
            query = query.where(AuditEvent.seq > after)
        batch = session.scalars(query.order_by(AuditEvent.seq).limit(VERIFY_BATCH)).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
        session.expunge_all()  # a long trail is not held in memory


def report_lines(report: ChainReport) -> list[str]:
    out = [f"{report.checked} chained entries checked"]
    if report.before_chain:
        out.append(f"{report.before_chain} entries from before the chain (not verifiable)")
    out.append("chain intact" if report.intact else f"BROKEN: {report.problem}")
    return out


