"""Login, logout, self-registration of bidders, password change; the page role guard other views use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from trading import accounts, security
from trading.errors import DomainError
from trading.extensions import db, login_manager
from trading.forms import LoginForm, PasswordForm, RegisterForm
from trading.redirects import same_site_path

bp = Blueprint("auth", __name__)


def roles_page(*roles: str) -> Callable:
    """Page decorator: anonymous visitors go to the login page, other roles get 403."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.method != "GET":  # after login, "next" must not point at a POST-only URL
                    flash(login_manager.login_message, "warning")
                    return redirect(url_for("auth.login"))
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return fn(*args, **kwargs)

        wrapper._page_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return deco


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect."""
    return same_site_path(target)


def sign_in(user) -> None:
    """Flask-Login's login_user, plus the user's current session version (checked by the user loader)."""
    login_user(user)
    session[accounts.SESSION_VERSION_KEY] = user.session_version or 0


def home_for(user) -> str:
    if user.role == "collective":
        return url_for("web.my_projects")
    if user.role == "staff":
        return url_for("staff.review")
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "POST":
        security.check_login_throttle()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data.strip(), form.password.data)
        except DomainError as exc:
            db.session.commit()  # keep the failed-login count that drives the lock-out
            security.note_login_failure()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            sign_in(user)
            flash(f"欢迎，{user.name}", "success")
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Ends every browser session of the user, so a copy of this session's cookie saved before logging out no
    longer signs anyone in (API tokens are separate: revoke them with /api/v1/auth/revoke)."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.pop(accounts.SESSION_VERSION_KEY, None)
    flash("您已安全退出", "info")
    return redirect(url_for("web.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Bidders register themselves; collectives and staff are created by the center."""
    if current_user.is_authenticated:
        flash("您已登录，如需注册新账户请先退出", "info")
        return redirect(url_for("web.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            org = accounts.create_org(form.org_name.data, form.org_kind.data, form.credit_code.data,
                                      phone=form.phone.data.strip(), actor=form.username.data.strip())
            user = accounts.create_user(form.username.data, form.password.data, "bidder",
                                        display_name=form.display_name.data.strip(), phone=form.phone.data.strip(),
                                        org=org, actor=form.username.data.strip())
        except DomainError as exc:
            db.session.rollback()
            _place(form, exc)
        else:
            db.session.commit()
            sign_in(user)
            flash("注册成功，欢迎使用交易平台。报名参加项目时须提交保证金或电子保函。", "success")
            return redirect(url_for("web.projects"))
    return render_template("auth/register.html", form=form)


def _place(form, exc: DomainError) -> None:
    """A refusal from the accounts service, shown next to its field."""
    target = {"duplicate_user": "username", "duplicate_org": "credit_code"}.get(exc.code)
    fields = dict(exc.fields or {})
    if target:
        fields[target] = exc.message
    placed = False
    for name, msg in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, msg]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)
    form._errors = None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            accounts.change_password(user, form.old_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            _place(form, exc)
        else:
            db.session.commit()
            sign_in(user)  # this session carries on under the new version; every other one and every token ended
            flash("密码已修改，其他设备上的登录和API令牌已失效", "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form)
