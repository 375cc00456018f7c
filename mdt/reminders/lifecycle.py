"""An outbox row's lifecycle, as data (checked by mdt/transitions.py).

pending -> queued (a job has it) -> sending (claimed) -> sent; a transient failure goes back
to queued, a stale claim or lost job back to pending, too many attempts to failed (an
administrator's retry makes it pending again); a reminder no longer wanted is withdrawn."""

from enum import StrEnum


class ReminderStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


TRANSITIONS = {
    ReminderStatus.PENDING: {ReminderStatus.QUEUED, ReminderStatus.SENDING,
                             ReminderStatus.WITHDRAWN},
    ReminderStatus.QUEUED: {ReminderStatus.SENDING, ReminderStatus.PENDING,
                            ReminderStatus.FAILED, ReminderStatus.WITHDRAWN},
    ReminderStatus.SENDING: {ReminderStatus.SENT, ReminderStatus.QUEUED,
                             ReminderStatus.PENDING, ReminderStatus.FAILED,
                             ReminderStatus.WITHDRAWN},
    ReminderStatus.FAILED: {ReminderStatus.PENDING},
    ReminderStatus.SENT: set(),
    ReminderStatus.WITHDRAWN: set(),
}

OPEN = (ReminderStatus.PENDING, ReminderStatus.QUEUED)
