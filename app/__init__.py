"""The application factory."""
import os
import secrets
from pathlib import Path

from flask import Flask, request, session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import config as config_module

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    # imported here, not at the top: `import app.workflow…` in a child process that checks
    # a diagram (app/workflow/isolation.py) must not pull in the database layer
    from app.extensions import babel, csrf, db, login, migrate

    app = Flask(__name__, instance_path=str(config_module.INSTANCE), instance_relative_config=False)
    app.config.update(config_module.from_environment())
    app.config.setdefault("PASSWORD_HASH_METHOD", "scrypt")
    app.config.update(config or {})
    _ensure_secret_key(app)
    if app.config.get("PROXY_FIX_X_FOR"):  # request.remote_addr from the proxies' X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])
    for folder in ("UPLOAD_FOLDER", "KEY_FOLDER", "BANK_OUTBOX"):
        os.makedirs(app.config[folder], exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]) or ".",
                    exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Shanghai")
    login.init_app(app)
    login.login_view = "auth.login_page"
    login.login_message = None  # the login page says why on its own

    from app import models  # noqa: F401  (every table known before the first query)
    from app import handlers
    from app.api import bp as api_bp
    from app.web import register_blueprints
    from app.web.errors import register_error_handlers
    from app.web import request_input
    from app.web import security_headers
    from app.cli import register_commands

    app.url_map.converters["int"] = BoundedInt
    csrf.exempt(api_bp)  # the API authenticates by bearer token only, never by cookie
    app.register_blueprint(api_bp)
    register_blueprints(app)
    register_error_handlers(app)
    request_input.install(app)  # NUL, lone surrogates, deep JSON: refused where they enter
    security_headers.install(app)  # CSP with nonces, no framing, nosniff, referrer, HSTS
    register_commands(app)
    _sqlite_pragmas(app)
    _liveness(app)
    _favicon(app)
    handlers.install()
    _sync_definitions_on_first_request(app)
    return app


def _favicon(app: Flask) -> None:
    """Browsers and bookmarks ask for /favicon.ico whatever the page links: the same icon."""
    from flask import send_from_directory

    app.add_url_rule("/favicon.ico", "favicon", lambda: send_from_directory(
        app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400))


def _sync_definitions_on_first_request(app: Flask) -> None:
    """processes/*.bpmn become definition versions at a process's first request
    (the schema may not exist yet when the app object is made)."""
    from app.workflow.definitions import sync_once

    @app.before_request
    def _sync():
        sync_once(app)


class BoundedInt(IntegerConverter):
    """<int:...> ids beyond a database integer are simply not found (SQLite would raise).

    The bound is in the pattern, not a `max` check after matching: a value the converter
    refuses after matching makes Werkzeug's matcher answer 405 instead of 404 for paths with
    a segment after the id (GET /enterprises/99999999999/employments)."""

    # 0 .. 2**31 - 1, leading zeros allowed as before
    regex = (r"0*(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")


def _ensure_secret_key(app: Flask) -> None:
    """A random key per instance folder when none is configured, so sessions survive
    restarts without anyone shipping a known default."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.config["KEY_FOLDER"]) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _select_locale():
    languages = ["zh", "en"]
    if not request:
        return "zh"
    if not request.path.startswith("/api/") and session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages, default="zh")


def _liveness(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and \
            not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        from app import db_liveness
        from app.extensions import db
        with app.app_context():
            db_liveness.install(db.engine)


def _sqlite_pragmas(app: Flask) -> None:
    """SQLite enforces foreign keys only when asked, per connection; WAL lets the web
    server and the scheduler process read while the other writes."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"] and \
                    app.config["SQLALCHEMY_DATABASE_URI"] != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
