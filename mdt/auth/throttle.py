"""Sign-in and password-check throttling with atomic counters in Redis (the `limits`
library's moving window): a slot is taken before the password is checked, so parallel
guesses cannot all slip in under the limit.

The rules slow an attacker down without locking the real user out (NIST SP 800-63B
5.2.2): the tightest limit is per account *and* address, so guesses from elsewhere use up
their own allowance, not the user's; an address has a wider limit of its own; and an
account has a hard daily cap of 100 failed tries, NIST's ceiling."""

from flask import current_app
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from mdt.queue import redis_connection

RULES = {  # scope -> limit
    "account_address": "5 per 15 minutes",
    "address": "20 per 15 minutes",
    "account": "100 per day",
}


def _limiter() -> MovingWindowRateLimiter:
    ext = current_app.extensions
    if "mdt_limiter" not in ext:
        pool = redis_connection().connection_pool
        ext["mdt_limiter"] = MovingWindowRateLimiter(
            RedisStorage("redis://", connection_pool=pool, key_prefix="mdt-throttle"))
    return ext["mdt_limiter"]


def _limits():
    return {scope: parse(rule) for scope, rule in RULES.items()}


def take(kind: str, account: str, address: str) -> bool:
    """Take one try for (kind, account, address); False when a limit is used up (then the
    password must not be checked). The per account-and-address slot is taken before the
    check, atomically, so parallel guesses cannot all get in; a refused try takes nothing
    (it must not eat the real user's daily allowance)."""
    limiter, rules = _limiter(), _limits()
    if not (limiter.test(rules["address"], kind, address)
            and limiter.test(rules["account"], kind, account)):
        return False
    return (limiter.hit(rules["account_address"], kind, account, address)
            and limiter.hit(rules["account"], kind, account))


def failed(kind: str, account: str, address: str) -> None:
    """A wrong password counts against the address (spraying across accounts)."""
    _limiter().hit(_limits()["address"], kind, address)


def succeeded(kind: str, account: str, address: str) -> None:
    """A right password: this account's tries from this address start again."""
    _limiter().clear(_limits()["account_address"], kind, account, address)


def address_open(kind: str, address: str) -> bool:
    """For a sign-in that has no account to name before it ends (OpenID Connect): only the
    address's failures count, and a slot is not taken for trying."""
    return _limiter().test(_limits()["address"], kind, address)
