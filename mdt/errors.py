"""One refusal vocabulary: every feature's "no" is one of three exceptions.

- NotFound: no such record *for this user* (absent, or another team's: the same answer, so
  ids cannot be probed). A LookupError, so older `except LookupError` still catches it.
- Refused: the user may not do this, or what they sent is refused ({field: message} for the
  form). A view that re-shows the form catches it; uncaught, it is a 403 page.
- Conflict: someone else changed the record meanwhile (a 409 page, uncaught).

The app-wide handlers (mdt/__init__.py `_init_error_pages`) render the page and write the
refusal to the audit log (mdt/audit/reads.py `audit_refusal`). Pure: no Flask here, so
services and pure cores may raise these.
"""


class AppError(Exception):
    """`errors` is {field: message} (or one message, kept under "form")."""

    status = 500
    title = "Sorry, there is a problem with the service"
    default_message = ""

    def __init__(self, errors=None):
        if errors is None:
            super().__init__()
        else:
            super().__init__(errors)
        if isinstance(errors, dict):
            self.errors = errors
        else:
            self.errors = {"form": str(errors)} if errors else {}

    @property
    def description(self) -> str:
        """The message for the person: the first of `errors`, else the class's own."""
        errors = getattr(self, "errors", None) or {}  # a dataclass subclass sets no errors
        return next((str(m) for m in errors.values() if m), self.default_message)


class NotFound(AppError, LookupError):
    status = 404
    title = "Page not found"
    default_message = "If you typed the web address, check it is correct."

    @property
    def description(self) -> str:
        # Never the reason ("not your team"): another team's id looks like an absent one.
        return self.default_message


class Refused(AppError):
    status = 403
    title = "You do not have permission to see this page"
    default_message = "Ask your team's chair if you think you should have access."


class Conflict(AppError):
    status = 409
    title = "Someone else has just changed this"
    default_message = ("Their change was saved a moment before yours, so yours was not. "
                       "Reload the page to see the record as it is now, then try again.")
