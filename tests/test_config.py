"""Settings come from the environment with safe defaults."""
from app import config, create_app


def test_defaults_keep_data_outside_the_web_root(monkeypatch):
    for name in ("DATABASE_URL", "UPLOAD_FOLDER", "KEY_FOLDER", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = config.from_environment()
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert settings["SQLALCHEMY_DATABASE_URI"].endswith("instance/realname.sqlite3")
    for folder in ("UPLOAD_FOLDER", "KEY_FOLDER"):
        assert "/app/static" not in settings[folder] and "/instance/" in settings[folder] + "/"


def test_postgres_urls_use_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/rn")
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db:5432/rn"


def test_a_random_secret_key_is_made_once_per_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    overrides = {"KEY_FOLDER": str(tmp_path / "keys"), "UPLOAD_FOLDER": str(tmp_path / "u"),
                 "BANK_OUTBOX": str(tmp_path / "o"), "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": ""}
    first = create_app(overrides).config["SECRET_KEY"]
    second = create_app(overrides).config["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (tmp_path / "keys" / "secret_key").stat().st_mode & 0o077 == 0


def test_previous_keys_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", " 3f1a-old , 9c2b-older ,, ")
    assert config.from_environment()["SECRET_KEY_FALLBACKS"] == ["3f1a-old", "9c2b-older"]
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    assert config.from_environment()["SECRET_KEY_FALLBACKS"] == []


def test_a_login_survives_a_key_rotation_while_the_old_key_is_kept(app, client, world):
    """What docs/operations.md §5 promises: the old key in SECRET_KEY_FALLBACKS keeps
    sessions; taking it out ends them."""
    from tests.support.factories import log_in

    log_in(client, world.user())
    assert client.get("/").status_code == 200
    app.config.update(SECRET_KEY="the new key", SECRET_KEY_FALLBACKS=[app.config["SECRET_KEY"]])
    assert client.get("/").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/").status_code == 302 and "/login" in client.get("/").location
