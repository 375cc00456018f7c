"""The Authlib client for each configured provider: authorization code flow with PKCE (S256),
state and nonce kept in the session by Authlib and checked on the way back, the ID token's
signature verified against the provider's JWKS, its issuer (the configured one, not merely
the discovery document's), audience, expiry and nonce checked."""

import base64
import json

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import current_app, request, url_for

from mdt.auth.oidc.config import Provider

__all__ = ["OAuthError", "provider", "providers", "authorize_redirect", "finish",
           "check_id_token", "logout_url"]


def providers() -> tuple[Provider, ...]:
    return tuple(current_app.config.get("OIDC_PROVIDERS") or ())


def provider(name: str) -> Provider | None:
    return next((p for p in providers() if p.name == name), None)


def _registry() -> OAuth:
    """Built from the app's config on first use (and again if the config changes)."""
    ext = current_app.extensions
    configured = providers()
    cached = ext.get("mdt_oidc")
    if cached is None or cached[0] != configured:
        oauth = OAuth(current_app._get_current_object())
        for p in configured:
            oauth.register(
                p.name, client_id=p.client_id, client_secret=p.client_secret,
                server_metadata_url=f"{p.issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": p.scopes, "code_challenge_method": "S256",
                               "timeout": 10})
        ext["mdt_oidc"] = cached = (configured, oauth)
    return cached[1]


def _client(p: Provider):
    return _registry().create_client(p.name)


def _base_url() -> str:
    """Production: BASE_URL (never the Host header); development and tests: this host."""
    if current_app.config.get("MDT_ENV") == "production":
        return current_app.config["BASE_URL"]
    return request.host_url.rstrip("/")


def redirect_uri(p: Provider) -> str:
    """One redirect URI per provider: a response cannot be replayed at another's callback
    (the mix-up attack)."""
    return _base_url() + url_for("oidc.callback", provider=p.name, _external=False)


def authorize_redirect(p: Provider, *, prompt: str = ""):
    extra = {}
    if p.acr_values:
        extra["acr_values"] = p.acr_values
    if prompt:
        extra["prompt"] = prompt
    return _client(p).authorize_redirect(redirect_uri(p), **extra)


def finish(p: Provider) -> tuple[dict, str]:
    """The verified ID token's claims and the raw ID token, or OAuthError (or a joserfc
    error, which the caller treats the same way)."""
    returned_iss = request.args.get("iss")
    if returned_iss is not None and returned_iss.rstrip("/") != p.issuer:  # RFC 9207
        raise OAuthError(error="issuer_mismatch", description="wrong iss in the response")
    token = _client(p).authorize_access_token(leeway=_leeway(), claims_options=_checks(p))
    claims = token.get("userinfo")
    if not claims or "id_token" not in token:
        raise OAuthError(error="no_id_token", description="the provider sent no ID token")
    # Authlib's UserInfo keeps only the profile claims; the acr, amr and sid are read from
    # the same ID token it has just verified (signature, iss, aud, exp, nonce).
    claims = {**_payload(token["id_token"]), **dict(claims)}
    if "email" not in claims:
        # Providers may keep the profile out of the ID token (OIDC Core 5.4): ask the
        # UserInfo endpoint with the access token, and take it only for the same subject.
        extra = _client(p).userinfo(token=token)
        if str(extra.get("sub")) != str(claims["sub"]):
            raise OAuthError(error="userinfo_sub", description="UserInfo for another subject")
        for key in ("email", "email_verified", "name"):
            if key in extra:
                claims[key] = extra[key]
    return claims, token["id_token"]


def _leeway() -> int:
    return current_app.config.get("OIDC_CLOCK_SKEW_SECONDS", 60)


def _checks(p: Provider) -> dict:
    """The ID token's claims checked beyond the signature: the issuer is the configured one
    (not just what the discovery document says), the audience is this client, a subject and
    an expiry are present (Authlib checks exp, iat, nonce, azp and at_hash as well)."""
    return {"iss": {"essential": True, "values": [p.issuer, p.issuer + "/"]},
            "sub": {"essential": True}, "exp": {"essential": True},
            "aud": {"essential": True, "value": p.client_id}}


def check_id_token(p: Provider, token: dict, nonce: str) -> dict:
    """The same checks as the callback's, on a token response already in hand."""
    _client(p).parse_id_token(token, nonce=nonce, claims_options=_checks(p), leeway=_leeway())
    return _payload(token["id_token"])


def _payload(id_token: str) -> dict:
    """The claims of an ID token whose signature has been checked (only then)."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class LogoutTokenError(ValueError):
    pass


def verify_logout_token(p: Provider, logout_token: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0, section 2.6: the signature against the
    provider's JWKS, iss, aud, iat (and exp when present), the logout event, a sub or sid,
    and no nonce. Returns the claims, or LogoutTokenError."""
    import time

    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry

    client = _client(p)
    metadata = client.load_server_metadata()
    registry = JWSRegistry(algorithms=metadata.get("id_token_signing_alg_values_supported"),
                           strict_check_header=False)
    try:
        try:
            token = jwt.decode(logout_token, KeySet.import_key_set(client.fetch_jwk_set()),
                               registry=registry)
        except InvalidKeyIdError:  # the provider has rolled its keys: fetch them once more
            token = jwt.decode(logout_token, KeySet.import_key_set(
                client.fetch_jwk_set(force=True)), registry=registry)
    except (JoseError, ValueError) as exc:
        raise LogoutTokenError(f"signature: {exc}") from exc
    claims = token.claims
    aud = claims.get("aud")
    now, skew = time.time(), _leeway()
    problems = [
        claims.get("iss") not in (p.issuer, p.issuer + "/") and "iss",
        p.client_id not in (aud if isinstance(aud, list) else [aud]) and "aud",
        not isinstance(claims.get("iat"), int | float) and "iat",
        isinstance(claims.get("iat"), int | float) and claims["iat"] > now + skew and "iat",
        isinstance(claims.get("exp"), int | float) and claims["exp"] < now - skew and "exp",
        not isinstance(claims.get("events"), dict) and "events",
        isinstance(claims.get("events"), dict) and BACKCHANNEL_EVENT not in claims["events"]
        and "events",
        not (claims.get("sub") or claims.get("sid")) and "sub/sid",
        "nonce" in claims and "nonce",
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise LogoutTokenError("bad " + ", ".join(problems))
    return claims


def logout_url(p: Provider, id_token: str | None) -> str | None:
    """The provider's end_session_endpoint with id_token_hint and where to come back, or
    None when the provider offers no RP-initiated logout (or cannot be reached)."""
    client = _client(p)
    try:
        metadata = client.load_server_metadata()
    except Exception:  # noqa: BLE001 - the provider is down: the local sign-out still stands
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    result = client.create_logout_url(
        post_logout_redirect_uri=_base_url() + url_for("auth.sign_in"),
        id_token_hint=id_token or None, client_id=p.client_id)
    return result["url"]
