"""Referrals to the meeting: a structured request for discussion, triaged by the chair."""


def init_app(app) -> None:
    """Registers the blueprint; connects to the meetings' signals."""
    from mdt.meetings import service as meetings
    from mdt.meetings.queries import case_referrals
    from mdt.referrals import service
    from mdt.referrals.queries import answer_case_referrals
    from mdt.referrals.views import bp

    app.register_blueprint(bp)
    case_referrals.connect(answer_case_referrals)  # a case's referral on the meeting pages
    # An accepted referral follows its case to the next meeting, and back.
    meetings.cases_carried.connect(service.follow_carried_cases)
    meetings.cases_carried_back.connect(service.follow_cases_back)
