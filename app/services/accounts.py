"""Accounts: sign-up, password checks with throttling, password change, unlock, and API
bearer tokens."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ApiToken, LoginThrottle, Person, User
from app.models.types import utcnow
from app.services import audit, sessions
from app.services.errors import Conflict, RuleViolation

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


def authenticate(username: str, password: str, client_address: str | None,
                 max_failures: int, lock_minutes: int) -> User | None:
    """The user for these credentials, or None. Raises LoginLocked after too many
    failures for that username from that client address within the lock window, so a
    stranger elsewhere cannot lock the owner out. Commits the throttle state."""
    now = utcnow()
    key = (username.strip().lower()[:64], (client_address or "")[:64])
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
    locked_until = _count_failure(key, user, now, timedelta(minutes=lock_minutes), max_failures)
    if locked_until:
        raise LoginLocked(locked_until)
    return None


def _count_failure(key: tuple, user, now, window, max_failures: int):
    """Adds one failure to the (username, address) counter and commits; the lock's end if
    this one locks it. The row is locked while counted, so failures sent in parallel all
    count; two first failures at once both insert, and the loser counts on the winner's row."""
    for attempt in (1, 2):
        throttle = db.session.scalar(select(LoginThrottle).where(
            LoginThrottle.username == key[0], LoginThrottle.client_address == key[1])
            .with_for_update().execution_options(populate_existing=True))
        if throttle is None:
            throttle = LoginThrottle(username=key[0], client_address=key[1], failures=0, window_started_at=now)
            db.session.add(throttle)
        elif now - throttle.window_started_at > window:
            throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
        throttle.failures += 1
        if throttle.failures >= max_failures:
            throttle.locked_until = now + window
            audit.record(user, "account.locked", "user", user.id if user else key[0],
                         failures=throttle.failures, client_address=key[1])
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        return throttle.locked_until
    return None


def locked_usernames(usernames) -> set[str]:
    """Which of these usernames (lower-cased) are locked now from some address."""
    names = {u.lower() for u in usernames}
    if not names:
        return set()
    return set(db.session.scalars(select(LoginThrottle.username).where(
        LoginThrottle.username.in_(names), LoginThrottle.locked_until > utcnow())))


def unlock(actor: User, user: User) -> None:
    """An administrator lifts the account's login locks, from every address."""
    if user.username.lower() not in locked_usernames([user.username]):
        raise Conflict("该账号当前未被锁定")
    cleared = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.username == user.username.lower())).rowcount
    audit.record(actor, "account.unlock", "user", user.id, cleared=cleared)


def change_password(user: User, current_password: str, new_password: str, client_address: str | None,
                    max_failures: int, lock_minutes: int, method: str = PASSWORD_METHOD) -> None:
    """Ends every web session and API token of the user; the caller may then start a
    new web session. A wrong current password counts as a failed login."""
    if authenticate(user.username, current_password, client_address, max_failures, lock_minutes) is None:
        raise RuleViolation("当前密码不正确", field="current_password")
    user.password_hash = generate_password_hash(new_password, method=method)
    sessions.end_all(user)
    audit.record(user, "account.password_change", "user", user.id)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=token_digest(token), expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(row)
    return token, row


def user_for_token(token: str) -> User | None:
    # one round trip for the token, its user, their grants and person: every API call pays it
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token)).options(
        joinedload(ApiToken.user).joinedload(User.grants), joinedload(ApiToken.user).joinedload(User.person),
    )).unique().first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.is_active else None


def revoke_token(token: str) -> None:
    """The token is refused from now on (DELETE /auth/token)."""
    db.session.execute(update(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
