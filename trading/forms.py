"""WTForms for the pages. Project rules are NOT repeated here: the project form becomes the API body
and goes through the same services as the JSON API, whose per-field messages are put back on the form."""

from __future__ import annotations

import re
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from trading.accounts import check_password_strength, username_error
from trading.clock import from_beijing_local, isoformat, to_beijing
from trading.credit import check_org_code
from trading.errors import DomainError
from trading.models import Project
from trading.money import to_str
from trading.rules import KIND_LABELS, METHOD_LABELS, PUBLIC_KINDS

PHONE = re.compile(r"^1[3-9]\d{9}$")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class Marked:
    """Marks a field as mandatory (the asterisk) without a client-side rule: the API rules decide."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


def required(message: str = "必填项") -> DataRequired:
    return DataRequired(message=message)


def strong_password(form, field) -> None:
    if msg := check_password_strength(field.data or ""):
        raise ValidationError(msg)


def mainland_mobile(form, field) -> None:
    if not PHONE.match((field.data or "").strip()):
        raise ValidationError("请输入11位中国大陆手机号码，例如 13800138000")


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[required("请输入用户名")])
    password = PasswordField("密码", validators=[required("请输入密码")])


BIDDER_ORG_KINDS = choices([("cooperative", "农民专业合作社"), ("company", "企业"), ("individual", "个人/家庭农场")])


class OrgCodeMixin:
    """The 18-character code: a unified social credit code, or a resident ID for individuals."""

    def validate_credit_code(self, field) -> None:
        code = (field.data or "").strip().upper()
        field.data = code
        kind = self.org_kind.data  # type: ignore[attr-defined]
        if not code:
            if kind in ("village_collective", "center"):
                return  # optional for accounts the center creates
            raise ValidationError("请填写统一社会信用代码（个人填写身份证号码）")
        if msg := check_org_code(code, kind == "individual"):
            raise ValidationError(msg)


USERNAME_HINT = "英文字母、数字和 _ . -，2至32个字符"


def valid_username(form, field) -> None:
    """The accounts rule (trading.accounts.USERNAME_RE), checked on the form so it shows next to the field."""
    if msg := username_error((field.data or "").strip()):
        raise ValidationError(msg)


class RegisterForm(OrgCodeMixin, FlaskForm):
    username = StringField("用户名", validators=[required(), valid_username],
                           render_kw={"autocomplete": "username", "maxlength": 32, "title": USERNAME_HINT})
    password = PasswordField("密码", validators=[required(), strong_password],
                             render_kw={"autocomplete": "new-password"})
    password2 = PasswordField("确认密码", validators=[required(), EqualTo("password", "两次输入的密码不一致")],
                              render_kw={"autocomplete": "new-password"})
    display_name = StringField("联系人姓名", validators=[required(), Length(max=100, message="内容过长")])
    phone = StringField("手机号码", validators=[required(), mainland_mobile],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    org_name = StringField("主体名称", validators=[required(), Length(2, 200, "名称须为2至200个字符")])
    org_kind = SelectField("主体类型", choices=BIDDER_ORG_KINDS, validators=[required()])
    credit_code = StringField("统一社会信用代码 / 身份证号", render_kw={"maxlength": 18,
                              "autocapitalize": "characters"}, validators=[Marked()])



class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码", validators=[required()], render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("新密码", validators=[required(), strong_password],
                                 render_kw={"autocomplete": "new-password"})
    new_password2 = PasswordField("确认新密码", validators=[required(), EqualTo("new_password", "两次输入的密码不一致")],
                                  render_kw={"autocomplete": "new-password"})


class AccountForm(OrgCodeMixin, FlaskForm):
    """Staff create collective (village collective / tenderee) and staff accounts."""

    role = SelectField("账户类型", choices=choices([("collective", "出让方（村集体/招标人）"),
                                                   ("staff", "交易中心工作人员")]))
    username = StringField("用户名", validators=[required(), valid_username],
                           render_kw={"maxlength": 32, "title": USERNAME_HINT})
    password = PasswordField("初始密码", validators=[required(), strong_password])
    display_name = StringField("联系人姓名", validators=[required(), Length(max=100, message="内容过长")])
    phone = StringField("手机号码", validators=[Optional(), mainland_mobile], render_kw={"inputmode": "tel"})
    org_name = StringField("组织名称", validators=[required(), Length(2, 200, "名称须为2至200个字符")])
    org_kind = SelectField("组织类型", choices=choices([("village_collective", "村集体经济组织"), ("company", "企业"),
                                                        ("center", "交易中心")]))
    town = StringField("所属乡镇", validators=[Optional(), Length(max=64, message="内容过长")])
    credit_code = StringField("统一社会信用代码", render_kw={"maxlength": 18})

    def validate_org_kind(self, field) -> None:
        if self.role.data == "staff" and field.data != "center":
            raise ValidationError("交易中心工作人员的组织类型须为“交易中心”")
        if self.role.data == "collective" and field.data == "center":
            raise ValidationError("出让方的组织类型须为村集体经济组织或企业")


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[required("请填写原因"), Length(max=2000, message="内容过长")])


# ------------------------------------------------------------------ projects

KIND_CHOICES = [SelectChoice("", "请选择")] + [
    SelectChoice(k, label, optgroup="公共资源交易" if k in PUBLIC_KINDS else "农村产权流转") for k, label in KIND_LABELS.items()]
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
WINDOWS = ("announce_start", "registration_end", "bidding_start", "bidding_end")
MONEY_FIELDS = ("start_price", "reserve_price", "budget", "increment", "deposit", "area_mu")
INT_FIELDS = ("term_years", "extension_seconds")


def _dt(label: str) -> StringField:
    return StringField(label, validators=[Marked()], render_kw={"type": "datetime-local", "step": 60,
                                                                "min": "2000-01-01T08:00", "max": "2100-01-01T07:59"})


def _money(label: str, mandatory: bool = False) -> StringField:
    return StringField(label, validators=[Marked()] if mandatory else [],
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})


class ProjectForm(FlaskForm):
    """Every field of API.md's project body; the four windows are typed in Beijing time."""

    kind = SelectField("项目类型", choices=KIND_CHOICES, validators=[Marked()])
    title = StringField("项目名称", validators=[Marked()])
    location = StringField("坐落位置", validators=[Marked()], render_kw={"placeholder": "如：寨沙镇龙田村"})
    town = StringField("所属乡镇", render_kw={"placeholder": "留空则按坐落位置自动识别"})
    description = TextAreaField("公告内容 / 标的描述", render_kw={"rows": 6})
    method = SelectField("交易方式", choices=choices(METHOD_LABELS.items()), validators=[Marked()])
    direction = SelectField("竞价方向", choices=choices([("ascending", "增价（出租、出让）"),
                                                        ("descending", "减价（采购、工程）")]), validators=[Marked()])
    price_unit = SelectField("报价单位", choices=choices([("per_mu_year", "元/亩/年"), ("total", "元（总价）")]),
                             validators=[Marked()])
    area_mu = _money("面积（亩）")
    term_years = StringField("流转期限（年）", render_kw={"inputmode": "numeric"})
    start_price = _money("起始价 / 最高限价（元）", True)
    reserve_price = _money("保留价（底价，元，不公开）")
    budget = _money("预算金额（元，减价项目）")
    increment = _money("加价 / 减价幅度（元）", True)
    deposit = _money("保证金（元）", True)
    extension_seconds = StringField("延时周期（秒）", render_kw={"inputmode": "numeric", "placeholder": "默认 300"})
    announce_start = _dt("公告开始")
    registration_end = _dt("报名截止")
    bidding_start = _dt("竞价开始")
    bidding_end = _dt("竞价结束")
    priority_holders = StringField("优先权人（竞买人用户名）", render_kw={"placeholder": "多个用逗号分隔，可留空"})
    owner = SelectField("出让方（代为挂牌）", choices=[])

    def __init__(self, *args, owners: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.owner
        else:
            self.owner.choices = choices([("", "请选择出让方"), *owners])

    def to_body(self) -> dict:
        """The API body for services.create_project / update_draft; unparseable times become field errors."""
        body: dict = {}
        self.local_errors: dict[str, str] = {}
        for name in ("kind", "title", "location", "description", "method", "direction", "price_unit", "town"):
            value = (self[name].data or "").strip()
            if value or name == "description":
                body[name] = value
        for name in MONEY_FIELDS + INT_FIELDS:
            value = (self[name].data or "").strip().replace(",", "").replace("，", "")
            if value:
                body[name] = value
        for name in WINDOWS:
            raw = (self[name].data or "").strip()
            if raw:
                parsed = _parse_local(raw)
                if parsed is None:  # left out of the body: the API then refuses the field, with this message
                    self.local_errors[name] = "请填写有效的日期和时间（北京时间），例如 2026-05-01 09:00"
                    continue
                try:
                    body[name] = isoformat(from_beijing_local(parsed))
                except ValueError as exc:  # before 2000 or from 2100 on (clock.EARLIEST…LATEST)
                    self.local_errors[name] = str(exc)
        holders = re.split(r"[\s,，、;；]+", self.priority_holders.data or "")
        body["priority_holders"] = [h for h in holders if h]
        if "owner" in self:
            body["owner"] = self.owner.data or None
        return body

    def fill(self, project: Project) -> None:
        """Show a stored project in the form (windows in Beijing wall-clock time)."""
        for name in ("kind", "title", "location", "town", "description", "method", "direction", "price_unit"):
            self[name].data = getattr(project, name) or ""
        for name in MONEY_FIELDS:
            self[name].data = to_str(getattr(project, name)) or ""
        for name in INT_FIELDS:
            value = getattr(project, name)
            self[name].data = "" if value is None else str(value)
        for name in WINDOWS:
            self[name].data = local_input(getattr(project, name))
        self.priority_holders.data = ", ".join(u.username for u in project.priority_holders)
        if "owner" in self:
            self.owner.data = project.owner.username

    def show_error(self, err: DomainError) -> None:
        """Put a service refusal back on the form: field messages beside fields, the rest on top."""
        placed = False
        local = getattr(self, "local_errors", {})
        for name, msg in (err.fields or {}).items():
            msg = local.get(name, msg)
            if name in self:
                self[name].errors = [*self[name].errors, msg]
                placed = True
            elif name != "body":
                self.form_errors.append(msg)  # about several fields at once (the windows): on top
        if not placed or err.code == "invalid_window":
            self.form_errors.append(err.message)
        self._errors = None  # recompute form.errors with what was added


def _parse_local(raw: str) -> datetime | None:
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(raw, fmt)  # noqa: DTZ007 (a Beijing wall-clock time, converted next)
        except ValueError:
            continue
    return None


def local_input(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_beijing(value)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")

