"""WTForms for the account pages (login, self-registration, password, staff account form), and the small
field helpers the other packages' forms share."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from trading.accounts.credit import check_org_code
from trading.accounts.services import check_password_strength, username_error

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
    """The accounts rule (trading.accounts.services.USERNAME_RE), checked on the form so it shows next to the field."""
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
