"""Imports every capability's tables, so Alembic and create_app see the whole schema."""

from mdt.actions.models import Action, ActionLogEntry  # noqa: F401
from mdt.audit.chain import AuditChainHead  # noqa: F401
from mdt.audit.models import AuditEvent  # noqa: F401
from mdt.auth.models import SignInAttempt, User, UserSession  # noqa: F401
from mdt.auth.oidc.models import Identity, Invitation  # noqa: F401
from mdt.calendar.models import CalendarFeed  # noqa: F401
from mdt.care_plans.models import CarePlanVersion  # noqa: F401
from mdt.imports.models import ImportBatch, ImportMapping  # noqa: F401
from mdt.letters.models import OutcomeLetter  # noqa: F401
from mdt.meetings.models import Case, DeathReview, Invitee, Meeting, MeetingSeries  # noqa: F401
from mdt.notifications.models import Notification  # noqa: F401
from mdt.once import Submission  # noqa: F401
from mdt.patients.models import (  # noqa: F401
    Hna,
    HnaConcern,
    KeyInfoSection,
    KeyWorkerHandover,
    LifecycleEvent,
    Patient,
    PatientTeam,
)
from mdt.referrals.models import Referral, ReferralEvent  # noqa: F401
from mdt.reminders.models import Reminder, ReminderOptOut, ReminderSettings  # noqa: F401
from mdt.teams.models import Membership, Team  # noqa: F401
from mdt.visits.models import (  # noqa: F401
    TaskType,
    Visit,
    VisitMerge,
    VisitTask,
)
