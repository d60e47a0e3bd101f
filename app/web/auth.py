"""Sign-up, login, logout and the language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import db, login
from app.forms.accounts import LoginForm, SignUpForm
from app.models import User
from app.services import accounts
from app.services.errors import DomainError
from app.web.helpers import show_domain_error

bp = Blueprint("auth", __name__)


@login.user_loader
def _load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        try:
            user = accounts.authenticate(form.username.data, form.password.data,
                                         cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"])
        except accounts.LoginLocked as locked:
            flash(gettext("登录失败次数过多，账号已暂时锁定，请于%(time)s后再试。",
                          time=format_datetime(locked.until, "HH:mm")), "danger")
        else:
            if user is None:
                flash(gettext("用户名或密码错误。"), "danger")
            else:
                session.clear()  # a fresh session on login: no fixation
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("auth.login_page"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(form.username.data, form.password.data, form.name.data, form.phone.data,
                                    method=current_app.config["PASSWORD_HASH_METHOD"])
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            login_user(user)
            flash(gettext("注册成功，欢迎使用。"), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
