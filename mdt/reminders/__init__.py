"""Reminders: a planner computes what is due from the data into an outbox table (one row
per kind, subject, recipient and occasion), RQ jobs send each row once by email, and the
same events become in-app notifications."""


def init_app(app) -> None:
    """The reminders' pages and hooks: a change committed in a request asks the planner for
    a pass (trigger's Session listeners). Settings are read by mdt.config (REMINDER_*)."""
    from mdt.reminders import trigger
    from mdt.reminders.views import bp

    app.register_blueprint(bp)
    app.extensions["mdt_reminders"] = True
    trigger.install_listeners()
    # The calendar feeds' cache asks which teams a flush changed (None: any team).
    app.extensions["mdt_changed_teams"] = lambda session: {
        None if team == trigger.FULL else team
        for team in trigger.changed_teams(session, session.new, session.dirty, session.deleted)}
