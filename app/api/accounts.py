"""Accounts: tokens, sign-up, the caller's own profile, platform roles."""
from flask import current_app, g, request
from flask_babel import gettext

from app.api import bp
from app.api.lookup import require
from app.api.problems import ApiProblem
from app.api.registry import bearer_token, endpoint
from app.extensions import db
from app.forms.accounts import ChangePasswordForm, LoginForm, PlatformRoleForm, SignUpForm
from app.models.types import utcnow
from app.services import accounts, audit, roles
from app.services.errors import RuleViolation


@endpoint(bp, "/auth/token", "POST", summary="Exchange username and password for a bearer token",
          tag="accounts", form=LoginForm, auth=False,
          responses={200: {"token": "string", "expires_at": "date-time"}, 401: None, 422: None, 429: None})
def issue_token(form):
    cfg = current_app.config
    try:
        user = accounts.authenticate(form.username.data, form.password.data, request.remote_addr,
                                     cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
    except accounts.LoginLocked as locked:
        raise _too_many_attempts(locked)
    if user is None:
        raise ApiProblem(401, gettext("用户名或密码错误"))
    token, row = accounts.issue_token(user, cfg["API_TOKEN_HOURS"])
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at.isoformat()}


def _too_many_attempts(locked: accounts.LoginLocked) -> ApiProblem:
    seconds = max(1, int((locked.until - utcnow()).total_seconds()))
    return ApiProblem(429, gettext("登录失败次数过多，请稍后再试"), headers={"Retry-After": str(seconds)})


@endpoint(bp, "/auth/token", "DELETE", summary="Revoke the caller's own bearer token", tag="accounts",
          responses={204: None})
def revoke_token():
    accounts.revoke_token(bearer_token())
    db.session.commit()
    return "", 204


@endpoint(bp, "/me/password", "PUT", summary="Change the caller's password (ends every session and token)",
          tag="accounts", form=ChangePasswordForm, responses={204: None, 422: None, 429: None})
def change_password(form):
    cfg = current_app.config
    try:
        accounts.change_password(g.api_user, form.current_password.data, form.new_password.data,
                                 request.remote_addr, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"],
                                 method=cfg["PASSWORD_HASH_METHOD"])
    except accounts.LoginLocked as locked:
        raise _too_many_attempts(locked)
    db.session.commit()
    return "", 204


@endpoint(bp, "/accounts", "POST", summary="Sign up (a person's own account)", tag="accounts",
          form=SignUpForm, auth=False, responses={201: {"id": "integer"}, 409: None, 422: None})
def sign_up(form):
    user = accounts.sign_up(form.username.data, form.password.data, form.name.data, form.phone.data,
                            method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    return {"id": user.id}, 201


@endpoint(bp, "/me", "GET", summary="The caller's account and roles", tag="accounts",
          responses={200: {"id": "integer", "username": "string", "name": "string",
                           "person_id": "integer", "roles": "array"}})
def me():
    user = g.api_user
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "person_id": user.person.id if user.person else None,
        "roles": roles.role_summary(user),
    }


@endpoint(bp, "/admin/roles", "POST", summary="Grant a platform role (admin)", tag="admin",
          form=PlatformRoleForm, responses={201: {"username": "string", "role": "string"}, 403: None, 422: None})
def grant_platform_role(form):
    require("role.grant")
    user = accounts.find_user(form.username.data)
    if user is None:
        raise RuleViolation("该用户不存在，请先注册账号", field="username")
    roles.grant(user, form.role.data, granted_by=g.api_user)
    audit.record(g.api_user, "role.grant", "user", user.id, role=form.role.data)
    db.session.commit()
    return {"username": user.username, "role": form.role.data}, 201
