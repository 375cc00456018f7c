"""Assurance levels: the acr a provider reported, ranked by the deployment's ASSURANCE_LEVELS
(weakest first). A password session, or an acr the deployment does not list, ranks below
every listed level, so a minimum set for chairs or for key information refuses it."""

from functools import wraps

from flask import current_app, g
from werkzeug.exceptions import Forbidden

BELOW_ALL = -1


def rank(acr: str, levels: tuple[str, ...]) -> int:
    return levels.index(acr) if acr and acr in levels else BELOW_ALL


def meets(acr: str, minimum: str, levels: tuple[str, ...]) -> bool:
    """True when no minimum is set, or the session's acr is at or above it."""
    if not minimum:
        return True
    return rank(acr, levels) >= rank(minimum, levels) != BELOW_ALL


def session_acr() -> str:
    """The acr of the signed-in session ("" for a password session or no session)."""
    row = g.get("auth_session")
    return row.acr if row is not None and row.method != "password" else ""


def session_meets(setting: str) -> bool:
    """Does this request's session reach the deployment's minimum for `setting`
    (CHAIR_MIN_ASSURANCE, KEY_INFORMATION_MIN_ASSURANCE)?"""
    config = current_app.config
    return meets(session_acr(), config.get(setting) or "", tuple(config.get(
        "ASSURANCE_LEVELS") or ()))


def require(setting: str, what: str):
    """A view decorator: refuse (403, audited) a session below the minimum for `setting`."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not session_meets(setting):
                raise AssuranceTooLow(what)
            return view(*args, **kwargs)
        return wrapped
    return decorator


class AssuranceTooLow(Forbidden):
    def __init__(self, what: str):
        super().__init__(f"{what} needs a stronger sign-in than this one. Sign out, then sign "
                         "in with your organisation's account using your smartcard or "
                         "security key.")
