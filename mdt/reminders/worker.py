"""What a worker process needs for reminders: the queue to listen on (the planner runs in a
process of its own beside it: mdt/reminders/planner_process.py)."""

import os

from mdt.extensions import db


def setup(app) -> list[str]:
    """Call once in the worker process, inside the app context. Returns the queue names."""
    engine = db.engine
    # The forking worker runs each job in a child: it must not share the parent's pooled
    # database connections (SQLAlchemy's advice for os.fork).
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    _warm()
    return [app.config["REMINDER_QUEUE"]]


def _warm() -> None:
    """Import and compile in the parent what every job needs, so each forked child starts
    with it instead of paying for it again (icalendar's import and the email templates'
    compilation cost more than sending a batch)."""
    import smtplib  # noqa: F401
    from email.mime import multipart, text  # noqa: F401

    from mdt.calendar import invitations  # noqa: F401
    from mdt.reminders import emails, jobs, outbox  # noqa: F401

    for name in ("message.txt", "message.html"):
        emails._env.get_template(name)
