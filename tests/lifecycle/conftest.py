"""The lifecycle fixtures, shared with the reminders suite."""

from tests.lifecycle.fixtures import caseload  # noqa: F401
