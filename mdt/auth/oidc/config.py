"""OpenID providers and sign-in settings from the environment: a pure function of a mapping.

Several providers at once, named in OIDC_PROVIDERS (lower-case words); each provider's
settings are OIDC_<NAME>_<SETTING>:

    OIDC_PROVIDERS=cis2,entra
    OIDC_CIS2_ISSUER=https://am.nhsidentity.spineservices.nhs.uk/openam/oauth2/realms/root/realms/oidc
    OIDC_CIS2_CLIENT_ID=...    OIDC_CIS2_CLIENT_SECRET=...
    OIDC_CIS2_SCOPES="openid email profile"     (the default)
    OIDC_CIS2_NAME="NHS Care Identity"          (the button reads "Sign in with ...")
    OIDC_CIS2_ACR_VALUES=AAL3_ANY               (optional: asked of the provider)
    OIDC_CIS2_TRUST_EMAIL=no                    (yes: the email claim is trusted without
                                                 email_verified; only for a provider that owns
                                                 the addresses it asserts)

One provider alone may drop the name: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
OIDC_SCOPES, OIDC_NAME (it is then called "oidc").
"""

import re
from dataclasses import dataclass

NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
TRUE = {"1", "yes", "on", "true"}


class OidcConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs: /sign-in/oidc/<name>
    issuer: str
    client_id: str
    client_secret: str
    display_name: str
    scopes: str = "openid email profile"
    acr_values: str = ""
    trust_email: bool = False


def _provider(env, name: str, prefix: str) -> Provider:
    def get(key, default=""):
        return (env.get(f"{prefix}{key}") or default).strip()

    missing = [f"{prefix}{key}" for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET") if not get(key)]
    if missing:
        raise OidcConfigError(f"OpenID provider {name!r} needs {', '.join(missing)}")
    issuer = get("ISSUER").rstrip("/")
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise OidcConfigError(f"{prefix}ISSUER must be an https:// address")
    scopes = " ".join(get("SCOPES", "openid email profile").replace(",", " ").split())
    if "openid" not in scopes.split():
        raise OidcConfigError(f"{prefix}SCOPES must include openid")
    return Provider(name=name, issuer=issuer, client_id=get("CLIENT_ID"),
                    client_secret=get("CLIENT_SECRET"),
                    display_name=get("NAME", name.upper()), scopes=scopes,
                    acr_values=get("ACR_VALUES"),
                    trust_email=get("TRUST_EMAIL").lower() in TRUE)


def providers_from(env) -> tuple[Provider, ...]:
    names = [n.strip().lower() for n in (env.get("OIDC_PROVIDERS") or "").split(",") if n.strip()]
    if not names:
        return (_provider(env, "oidc", "OIDC_"),) if env.get("OIDC_ISSUER") else ()
    bad = [n for n in names if not NAME.match(n) or n == "password"]  # "password": taken
    if bad or len(set(names)) != len(names):
        raise OidcConfigError("OIDC_PROVIDERS must be distinct short lower-case names "
                              f"(letters and digits), not {', '.join(bad) or 'repeats'}")
    return tuple(_provider(env, name, f"OIDC_{name.upper()}_") for name in names)


def levels_from(env) -> tuple[str, ...]:
    """ASSURANCE_LEVELS: the acr values the deployment knows, weakest first."""
    return tuple(v.strip() for v in (env.get("ASSURANCE_LEVELS") or "").split(",") if v.strip())


def settings_from(env) -> dict:
    """The app config keys for sign-in (merged into mdt.config.from_environment)."""
    levels = levels_from(env)
    minimums = {}
    for key in ("CHAIR_MIN_ASSURANCE", "KEY_INFORMATION_MIN_ASSURANCE"):
        value = (env.get(key) or "").strip()
        if value and value not in levels:
            raise OidcConfigError(f"{key}={value} is not one of ASSURANCE_LEVELS "
                                  f"({', '.join(levels) or 'none set'})")
        minimums[key] = value
    providers = providers_from(env)
    passwords = (env.get("PASSWORD_SIGN_IN") or "on").strip().lower() not in {"off", "no", "0",
                                                                              "false"}
    if not passwords and not providers:
        raise OidcConfigError("PASSWORD_SIGN_IN=off needs at least one OpenID provider")
    return {"OIDC_PROVIDERS": providers, "PASSWORD_SIGN_IN": passwords,
            "ASSURANCE_LEVELS": levels, **minimums,
            "OIDC_CLOCK_SKEW_SECONDS": int(env.get("OIDC_CLOCK_SKEW_SECONDS") or "60"),
            "INVITATION_DAYS": int(env.get("INVITATION_DAYS") or "14")}
