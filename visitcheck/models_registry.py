"""Imports every capability's tables so metadata (and Alembic) sees them all."""

from collections.abc import Sequence

from .audit.models import AuditChainHead, AuditEvent
from .auth.models import Team, User, UserSession
from .checklists.models import Checklist, ChecklistTemplate
from .chronology.models import ChronologyEvent
from .devices.models import Device
from .feed.models import Change, FeedCounter
from .followup.models import Followup
from .keys import EncryptedFields
from .keys.models import ServerKey
from .notify.models import Notification
from .people.models import CaseloadAssignment, Concern, Household, HouseholdMember, Person
from .retention.models import LegalHold, RetentionReport
from .review.models import ReviewDecision
from .rules.models import ChecklistFlag
from .sharing.models import Alert
from .sync.models import SyncConflict, SyncOp
from .visits.models import VisitPlan

__all__ = [
    "Alert",
    "AuditChainHead",
    "AuditEvent",
    "CaseloadAssignment",
    "Change",
    "ChronologyEvent",
    "VisitPlan",
    "Checklist",
    "Concern",
    "ChecklistFlag",
    "ChecklistTemplate",
    "Device",
    "FeedCounter",
    "Followup",
    "Household",
    "HouseholdMember",
    "LegalHold",
    "Notification",
    "Person",
    "RetentionReport",
    "ReviewDecision",
    "ServerKey",
    "SyncConflict",
    "SyncOp",
    "Team",
    "User",
    "UserSession",
]

# Tables with personal fields encrypted under a master key (what `keys rotate` re-wraps).
ENCRYPTED_MODELS: Sequence[type[EncryptedFields]] = [
    Household, Person, Concern, Checklist, ChecklistFlag, ReviewDecision, ServerKey,
    Followup, ChronologyEvent, VisitPlan,
]
