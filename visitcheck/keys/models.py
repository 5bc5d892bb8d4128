"""Server key pairs, their private halves encrypted under the master key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime, utcnow
from .fields import EncryptedFields


class ServerKey(EncryptedFields, Base):
    __tablename__ = "server_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "sealing"
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A retired key still opens older envelopes but is no longer handed out.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
