"""Providers and sign-in settings from the environment (pure: no app, no provider)."""

import pytest

from mdt.auth.oidc.assurance import meets, rank
from mdt.auth.oidc.config import OidcConfigError, providers_from, settings_from


def test_several_providers_each_with_its_own_settings():
    env = {"OIDC_PROVIDERS": "cis2, entra",
           "OIDC_CIS2_ISSUER": "https://am.nhsidentity.spineservices.nhs.uk/openam/oauth2/realms/root/realms/oidc/",
           "OIDC_CIS2_CLIENT_ID": "mdt-cis2", "OIDC_CIS2_CLIENT_SECRET": "s1",
           "OIDC_CIS2_NAME": "NHS Care Identity", "OIDC_CIS2_ACR_VALUES": "AAL3_ANY",
           "OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/tid/v2.0",
           "OIDC_ENTRA_CLIENT_ID": "guid", "OIDC_ENTRA_CLIENT_SECRET": "s2",
           "OIDC_ENTRA_SCOPES": "openid,email,profile", "OIDC_ENTRA_TRUST_EMAIL": "yes"}
    cis2, entra = providers_from(env)
    assert (cis2.name, cis2.display_name, cis2.acr_values) == ("cis2", "NHS Care Identity",
                                                              "AAL3_ANY")
    assert not cis2.issuer.endswith("/") and cis2.scopes == "openid email profile"
    assert (entra.name, entra.display_name, entra.trust_email) == ("entra", "ENTRA", True)
    assert entra.scopes == "openid email profile"


def test_one_provider_without_a_name():
    (only,) = providers_from({"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "a",
                              "OIDC_CLIENT_SECRET": "b", "OIDC_NAME": "NHSmail"})
    assert (only.name, only.display_name) == ("oidc", "NHSmail")
    assert providers_from({}) == ()


@pytest.mark.parametrize("env, words", [
    ({"OIDC_PROVIDERS": "cis2"}, "OIDC_CIS2_ISSUER"),
    ({"OIDC_PROVIDERS": "../x"}, "short lower-case"),
    ({"OIDC_PROVIDERS": "a,a"}, "distinct"),
    ({"OIDC_PROVIDERS": "password"}, "password"),
    ({"OIDC_ISSUER": "http://idp.example", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b"},
     "https"),
    ({"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b",
      "OIDC_SCOPES": "email"}, "openid"),
    ({"PASSWORD_SIGN_IN": "off"}, "at least one OpenID provider"),
    ({"ASSURANCE_LEVELS": "aal1,aal2", "CHAIR_MIN_ASSURANCE": "aal3"}, "not one of"),
])
def test_a_wrong_setting_is_refused_at_start_saying_what_to_set(env, words):
    with pytest.raises(OidcConfigError, match=words):
        settings_from(env)


def test_passwords_on_unless_turned_off():
    assert settings_from({})["PASSWORD_SIGN_IN"] is True
    env = {"PASSWORD_SIGN_IN": "off", "OIDC_ISSUER": "https://idp.example",
           "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b"}
    assert settings_from(env)["PASSWORD_SIGN_IN"] is False


def test_assurance_ranks_weakest_first_and_a_password_below_all():
    levels = ("aal1", "aal2", "aal3")
    assert rank("aal3", levels) > rank("aal2", levels) > rank("", levels)
    assert meets("aal3", "aal2", levels) and meets("aal2", "aal2", levels)
    assert not meets("aal1", "aal2", levels)
    assert not meets("", "aal1", levels)  # a password session
    assert not meets("something-else", "aal1", levels)  # an acr the deployment never listed
    assert meets("", "", levels)  # no minimum set
