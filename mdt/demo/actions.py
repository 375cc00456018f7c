"""Demo actions, each with its action log: open ones overdue, due this week and later."""

from datetime import datetime, time, timedelta

from mdt.demo import builder
from mdt.extensions import db
from mdt.timeutil import LONDON, clock_at


def add_action(team, by_email, *, patient_id, owner, text, raised, due_on, done_at=None,
               cancel=False, case_id=None):
    """An action the chair raised at `raised`: done at `done_at` (by its owner), cancelled
    nine days on, or still open; through the actions service, each step at its own time."""
    owner_actor = builder.team_actor(by_email[owner].id, team.id, "member")
    return builder.action(
        builder.team_actor(by_email["chair"].id, team.id), team_id=team.id,
        description=text, owner_id=by_email[owner].id, due_on=due_on, patient_id=patient_id,
        case_id=case_id, raised=raised, done_at=done_at, done_by=owner_actor,
        cancelled_at=raised + timedelta(days=9) if cancel else None, cancelled_by=owner_actor,
        cancel_reason="The family declined for now")


def follow_up(team, by_email, action, *, owner, raised, done_at=None, cancel=False):
    """What became of an action agreed at a meeting (raised at `raised`): done by its owner
    at `done_at`, or cancelled nine days on, through the actions service at that time."""
    from mdt.actions import service

    owner_actor = builder.team_actor(by_email[owner].id, team.id, "member")
    if done_at is not None:
        with clock_at(done_at):
            service.complete(owner_actor, action)
            db.session.commit()
    if cancel:
        with clock_at(raised + timedelta(days=9)):
            service.cancel(owner_actor, action, "The family declined for now")
            db.session.commit()


def add_actions(team, patients, by_email, today):
    """Open actions overdue, due this week and later, and a done one."""
    plan = [  # patient index, owner, description, due in days, raised days ago, done
        (0, "navigator.lee", "Ask the hospice about day therapy", -3, 20, False),
        (0, "dn.patel", "Order a pressure-relieving mattress", 2, 10, False),
        (1, "gp.hughes", "Review pain medication after stage change", -1, 14, False),
        (2, "sw.brown", "Start a care package assessment", 5, 7, False),
        (3, "navigator.lee", "Book a Holistic Needs Assessment", 12, 3, False),
        (5, "hospice.ali", "Discuss preferred place of death with family", 1, 5, False),
        (6, "navigator.lee", "Refer carer to Live Well carers' group", 20, 2, False),
        (7, "cns.evans", "Check blue badge application", -6, 30, False),
        (9, "navigator.lee", "Apply for attendance allowance (SR1)", 4, 12, True),
    ]
    for index, owner, text, due_in, raised_ago, done in plan:
        raised = datetime.combine(today - timedelta(days=raised_ago), time(10), LONDON)
        add_action(team, by_email, patient_id=patients[index].id, owner=owner, text=text,
                   raised=raised, due_on=today + timedelta(days=due_in),
                   done_at=raised + timedelta(days=2) if done else None)
