"""Feed tokens never reach a log: the request lines of the development server and
gunicorn, and Flask's error log, get the token replaced before they are written."""

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/calendar/(?:team/)?)[^/\s?\"']+(\.ics)")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[token]\2", text)


class RedactFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/calendar/" in message:
            record.msg, record.args = redact(message), ()
        return True


def install(app) -> None:
    for logger in (logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access"),
                   logging.getLogger("gunicorn.error"), app.logger):
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())
