"""Accounts: sign-up, password checks with throttling, and API bearer tokens."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ApiToken, LoginThrottle, Person, User
from app.models.types import utcnow
from app.services import audit
from app.services.errors import Conflict

# Hashing method for new passwords; tests lower the cost through configuration.
PASSWORD_METHOD = "scrypt"
# Checked against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("timing-equaliser", method="pbkdf2:sha256:1000")


class LoginLocked(Exception):
    def __init__(self, until):
        super().__init__("locked")
        self.until = until


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def sign_up(username: str, password: str, name: str, phone: str | None,
            method: str = PASSWORD_METHOD) -> User:
    """A person's own account; the person record comes with it."""
    if find_user(username) is not None:
        raise Conflict("该用户名已被使用", field="username")
    user = User(username=username.strip(), password_hash=generate_password_hash(password, method=method),
                name=name.strip(), phone=phone)
    db.session.add(user)
    db.session.add(Person(user=user, name=user.name, phone=phone))
    db.session.flush()
    audit.record(user, "account.sign_up", "user", user.id)
    return user


def create_staff_account(username: str, password: str, name: str, method: str = PASSWORD_METHOD) -> User:
    """An account without a person record (administrators, operators)."""
    if find_user(username) is not None:
        raise Conflict("该用户名已被使用", field="username")
    user = User(username=username.strip(), password_hash=generate_password_hash(password, method=method),
                name=name)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str, max_failures: int, lock_minutes: int) -> User | None:
    """The user for these credentials, or None. Raises LoginLocked after too many
    failures for that username within the lock window. Commits the throttle state."""
    now = utcnow()
    key = username.strip().lower()[:64]
    throttle = db.session.get(LoginThrottle, key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise LoginLocked(throttle.locked_until)
    user = find_user(username)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if ok and user is not None and user.is_active:
        if throttle:
            db.session.delete(throttle)
        db.session.commit()
        return user
    window = timedelta(minutes=lock_minutes)
    if throttle is None:
        throttle = LoginThrottle(username=key, failures=0, window_started_at=now)
        db.session.add(throttle)
    elif now - throttle.window_started_at > window:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= max_failures:
        throttle.locked_until = now + window
        audit.record(user, "account.locked", "user", user.id if user else key, failures=throttle.failures)
    db.session.commit()
    if throttle.locked_until:
        raise LoginLocked(throttle.locked_until)
    return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_digest(token), expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(row)
    return token, row


def user_for_token(token: str) -> User | None:
    # one round trip for the token, its user, their grants and person: every API call pays it
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token)).options(
        joinedload(ApiToken.user).joinedload(User.grants), joinedload(ApiToken.user).joinedload(User.person),
    )).unique().first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.is_active else None
