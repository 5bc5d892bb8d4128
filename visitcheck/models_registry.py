"""Imports every capability's tables so metadata (and Alembic) sees them all."""

from collections.abc import Sequence

from .audit.models import AuditEvent
from .auth.models import Team, User
from .checklists.models import Checklist, ChecklistTemplate
from .devices.models import Device
from .keys import EncryptedFields
from .keys.models import ServerKey
from .people.models import CaseloadAssignment, Concern, Household, HouseholdMember, Person
from .review.models import ReviewDecision
from .rules.models import ChecklistFlag
from .sharing.models import Alert
from .sync.models import Change, SyncConflict, SyncCounter, SyncOp

__all__ = [
    "Alert",
    "AuditEvent",
    "CaseloadAssignment",
    "Change",
    "Checklist",
    "Concern",
    "ChecklistFlag",
    "ChecklistTemplate",
    "Device",
    "Household",
    "HouseholdMember",
    "Person",
    "ReviewDecision",
    "ServerKey",
    "SyncConflict",
    "SyncCounter",
    "SyncOp",
    "Team",
    "User",
]

# Tables with personal fields encrypted under a master key (what `keys rotate` re-wraps).
ENCRYPTED_MODELS: Sequence[type[EncryptedFields]] = [
    Household, Person, Concern, Checklist, ChecklistFlag, ReviewDecision, ServerKey,
]
