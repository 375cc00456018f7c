"""Signed unsubscribe tokens: one per recipient and topic, no expiry (an old email's link
still works), useless to anyone who does not hold SECRET_KEY."""

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "mdt.reminders.unsubscribe"


def make(secret_key: str, email: str, topic: str) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps({"e": email.lower(), "t": topic})


def read(secret_key: str, token: str) -> tuple[str, str] | None:
    try:
        data = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) \
            or not isinstance(data.get("t"), str):
        return None
    return data["e"], data["t"]
