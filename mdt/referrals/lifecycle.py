"""A referral's lifecycle, as data (checked by mdt/transitions.py)."""

from enum import StrEnum


class ReferralStatus(StrEnum):
    SENT = "sent"
    MORE_INFO = "more_info"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# Open while sent or sent back for more information; accepted, declined and withdrawn are
# final (a new question is a new referral).
TRANSITIONS = {
    ReferralStatus.SENT: {ReferralStatus.MORE_INFO, ReferralStatus.ACCEPTED,
                          ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN},
    ReferralStatus.MORE_INFO: {ReferralStatus.SENT, ReferralStatus.ACCEPTED,
                               ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN},
    ReferralStatus.ACCEPTED: set(),
    ReferralStatus.DECLINED: set(),
    ReferralStatus.WITHDRAWN: set(),
}

OPEN = (ReferralStatus.SENT, ReferralStatus.MORE_INFO)
