"""Sign-up, login, logout, password change and the language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import db, login
from app.forms.accounts import ChangePasswordPageForm, LoginForm, SignUpForm
from app.services import accounts, sessions
from app.services.errors import DomainError
from app.web.helpers import show_domain_error

bp = Blueprint("auth", __name__)


@login.user_loader
def _load_user(session_key: str):
    # The cookie holds a web session's key (User.get_id), so a session ended on the
    # server (logout, password change) loads no one.
    return sessions.user_for(session_key)


def _sign_in(user) -> None:
    """A fresh server-side session for the user (the caller commits)."""
    sessions.start(user, current_app.permanent_session_lifetime)
    login_user(user)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


def _flash_locked(locked: accounts.LoginLocked) -> None:
    flash(gettext("登录失败次数过多，账号已暂时锁定，请于%(time)s后再试。",
                  time=format_datetime(locked.until, "HH:mm")), "danger")


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = accounts.authenticate(form.username.data, form.password.data, request.remote_addr,
                                         cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
        except accounts.LoginLocked as locked:
            _flash_locked(locked)
        else:
            if user is None:
                flash(gettext("用户名或密码错误。"), "danger")
            else:
                session.clear()  # a fresh session on login: no fixation
                _sign_in(user)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end(current_user.session_key)
    db.session.commit()
    logout_user()
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("auth.login_page"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordPageForm()
    if form.validate_on_submit():
        cfg = current_app.config
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data,
                                     request.remote_addr, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"],
                                     method=cfg["PASSWORD_HASH_METHOD"])
        except accounts.LoginLocked as locked:
            _flash_locked(locked)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            _sign_in(user)  # every other session has ended; this browser gets a new one
            db.session.commit()
            flash(gettext("密码已修改，其他设备上的登录已全部退出。"), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(form.username.data, form.password.data, form.name.data, form.phone.data,
                                    method=current_app.config["PASSWORD_HASH_METHOD"])
            _sign_in(user)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("注册成功，欢迎使用。"), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
