"""Login accounts, API tokens, login throttling and role grants."""
from flask_login import UserMixin

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    name = db.Column(db.String(64), nullable=False)
    phone = db.Column(db.String(16))
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    grants = db.relationship("RoleGrant", back_populates="user", lazy="selectin",
                             foreign_keys="RoleGrant.user_id")
    person = db.relationship("Person", back_populates="user", uselist=False)

    # The key of the web session this object was loaded for (see WebSession); not a column.
    session_key = None

    @property
    def is_active(self):  # Flask-Login: a disabled account cannot log in
        return self.active

    def get_id(self) -> str:
        """Flask-Login keeps this in the session cookie: the web session's key rather than
        the user id, so deleting the session row ends the session on the server."""
        if not self.session_key:
            raise RuntimeError("start a web session (services.sessions) before login_user")
        return self.session_key


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a leaked table gives no tokens."""

    __tablename__ = "api_token"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)

    user = db.relationship("User")


class WebSession(db.Model):
    """A browser signed in. The cookie carries a random key, this row only its SHA-256;
    logout and a password change delete rows, so a copied cookie opens nothing after."""

    __tablename__ = "web_session"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    key_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)

    user = db.relationship("User")


class LoginThrottle(db.Model):
    """Failed logins per username and client address within a window; a lock after too
    many. Per address, so a stranger's failures do not lock the owner out."""

    __tablename__ = "login_throttle"

    username = db.Column(db.String(64), primary_key=True)
    client_address = db.Column(db.String(64), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    window_started_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = db.Column(UTCDateTime)


class RoleGrant(db.Model):
    """A role held by a user, in a scope: the platform, an enterprise, or an
    enterprise on a project (project roles name both)."""

    __tablename__ = "role_grant"
    __table_args__ = (
        db.UniqueConstraint("user_id", "role", "enterprise_id", "project_id"),
        db.Index("ix_role_grant_scope", "role", "enterprise_id", "project_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    role = db.Column(db.String(32), nullable=False)
    enterprise_id = db.Column(db.Integer, db.ForeignKey("enterprise.id"))
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    granted_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    granted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", back_populates="grants", foreign_keys=[user_id])
    enterprise = db.relationship("Enterprise")
    project = db.relationship("Project")
