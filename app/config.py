"""Every setting, read from the environment, with a safe default.

Paths default to folders under ``instance/`` — outside the web root (``app/static``),
so uploaded ID-card images and signing keys are never served as static files.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, separator: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(separator) if item.strip()]


def _years(name: str, default: int) -> int:
    """A retention period in whole years; unset or empty is the default. Not a number
    stops the start with the setting's name, rather than a bare int() error."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: a whole number of years is expected "
                         f"(at least {default}, the legal minimum)") from None


def from_environment() -> dict:
    """The configuration as a plain dict; create_app() overlays its overrides on it."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
        # Earlier keys, still accepted for sessions and printed site codes but never used
        # to sign: a rotation's grace period (docs/operations.md §5). Comma-separated.
        "SECRET_KEY_FALLBACKS": _list("SECRET_KEY_FALLBACKS", ","),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        # A pooled connection the server closed meanwhile (restart, failover, an idle
        # timeout, pg_terminate_backend) is found and replaced at checkout, not by a 500:
        # app/db_liveness.py, without a round trip per transaction.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads")),
        "KEY_FOLDER": os.environ.get("KEY_FOLDER", str(INSTANCE / "keys")),
        "BANK_OUTBOX": os.environ.get("BANK_OUTBOX", str(INSTANCE / "bank-outbox")),
        "BANK_GATEWAY": os.environ.get("BANK_GATEWAY", "outbox"),
        # Shared with the bank: signs our pushes and authenticates its receipts (X-Bank-Signature).
        "BANK_HMAC_KEY": os.environ.get("BANK_HMAC_KEY", ""),
        "BANK_TIMEOUT_SECONDS": float(os.environ.get("BANK_TIMEOUT_SECONDS", "30")),
        # The outbox (app/services/outbox.py): a message not delivered is tried again after
        # OUTBOX_RETRY_SECONDS, doubling up to OUTBOX_RETRY_MAX_SECONDS, and is `failed`
        # after OUTBOX_MAX_ATTEMPTS tries. A deliverer's claim lasts OUTBOX_CLAIM_SECONDS:
        # keep it well above BANK_TIMEOUT_SECONDS, or a slow push could be sent twice.
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 10)),
        "OUTBOX_RETRY_SECONDS": int(os.environ.get("OUTBOX_RETRY_SECONDS", 60)),
        "OUTBOX_RETRY_MAX_SECONDS": int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", 3600)),
        "OUTBOX_CLAIM_SECONDS": int(os.environ.get("OUTBOX_CLAIM_SECONDS", 300)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 12 * 1024 * 1024)),
        "MAX_IMAGE_BYTES": int(os.environ.get("MAX_IMAGE_BYTES", 5 * 1024 * 1024)),
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", 12)),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", 5)),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("LOGIN_LOCK_MINUTES", 15)),
        # How many reverse proxies in front set X-Forwarded-For; 0 trusts none of it.
        # Login failures are counted per client address, so behind a proxy this must be
        # set, or every client shares the proxy's address.
        "PROXY_FIX_X_FOR": int(os.environ.get("PROXY_FIX_X_FOR", 0)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "WTF_CSRF_TIME_LIMIT": None,  # tie the token to the session, not the clock
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh", "en"],
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", 20)),
        "SIGNING_TRUST_ROOTS": [p for p in os.environ.get("SIGNING_TRUST_ROOTS", "").split(os.pathsep) if p],
        "TIMER_POLL_SECONDS": int(os.environ.get("TIMER_POLL_SECONDS", 5)),
        # Legal minimums 2 and 3 years. Taken as given: `flask retention` refuses a shorter
        # period (0 and negative too), never replaces it with the minimum.
        "RETENTION_ATTENDANCE_YEARS": _years("RETENTION_ATTENDANCE_YEARS", 2),
        "RETENTION_WAGE_YEARS": _years("RETENTION_WAGE_YEARS", 3),
    }


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE / 'realname.sqlite3'}"
    # Heroku-style URLs name the dialect without a driver; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
