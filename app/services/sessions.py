"""Web sessions that end on the server, and ending every session of an account.

A signed cookie is still a bearer credential: whoever keeps a copy stays signed in. So
the cookie carries a random key (User.get_id) whose SHA-256 is a web_session row; logout
deletes the row, a password change deletes them all, and a copied cookie opens nothing.
"""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import ApiToken, User, WebSession
from app.models.types import utcnow


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, lifetime: timedelta) -> str:
    """A new session for the user, its key set on the user for Flask-Login to store.
    The user's expired rows go on the way, so browsers never logged out do not pile up."""
    now = utcnow()
    db.session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
    key = secrets.token_urlsafe(32)
    db.session.add(WebSession(user_id=user.id, key_hash=_digest(key), created_at=now, expires_at=now + lifetime))
    user.session_key = key
    return key


def user_for(key: str) -> User | None:
    """The active user of a live session: one lookup by the unique key hash, per request."""
    user = db.session.scalar(select(User).join(WebSession, WebSession.user_id == User.id).where(
        WebSession.key_hash == _digest(key), WebSession.expires_at > utcnow(), User.active.is_(True)))
    if user is not None:
        user.session_key = key
    return user


def end(key: str) -> None:
    db.session.execute(delete(WebSession).where(WebSession.key_hash == _digest(key)))


def end_all(user: User) -> None:
    """Every browser session and API token of the user (after a password change)."""
    db.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
