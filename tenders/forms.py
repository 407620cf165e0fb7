"""Forms of the tender pages. The tender form builds exactly the API's JSON body (docs/api.md "Tenders") and the
service validates it, so the page and the API refuse the same input with the same Chinese messages; the
form only turns what a browser can send (Beijing wall-clock times, one criterion a line) into that body."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import DateTimeLocalField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from trading.accounts.forms import USERNAME_HINT, choices, mainland_mobile, strong_password, valid_username
from trading.clock import from_beijing_local, isoformat
from trading.errors import DomainError

MAX_LOTS = 10
LOT_FIELDS = ("name", "budget", "security_amount", "speciality", "committee_size", "price_points", "criteria")
DEFAULT_CRITERIA = "技术方案 50\n商务 20"


class TenderForm:
    """Plain form (a variable number of lots): `values` as typed, `errors` keyed like the API's `fields`."""

    def __init__(self, formdata: MultiDict | None = None):
        self.submitted = formdata is not None
        self.data = formdata or MultiDict()
        try:
            n = int(self.data.get("lot_count", "1"))
        except ValueError:
            n = 1
        self.lot_count = min(max(n, 1), MAX_LOTS)
        if self.data.get("add_lot"):
            self.lot_count = min(self.lot_count + 1, MAX_LOTS)
        self.errors: dict[str, str] = {}
        self.message: str | None = None

    def value(self, name: str, default: str = "") -> str:
        return self.data.get(name, default) if self.submitted else default

    def lot_value(self, i: int, name: str) -> str:
        defaults = {"committee_size": "5", "price_points": "30", "criteria": DEFAULT_CRITERIA}
        return self.value(f"lots-{i}-{name}", defaults.get(name, ""))

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def lot_errors(self, i: int, name: str) -> list[str]:
        key = f"lots[{i}].{name}"
        return [v for k, v in self.errors.items() if k == key or k.startswith(key + "[") or k.startswith(key + ".")]

    def validate_form(self) -> bool:
        """Only what the page itself must check; False also when the user asked for one more lot."""
        return not self.data.get("add_lot")

    def _instant(self, name: str, label: str) -> str | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            self.errors[name] = f"请填写{label}"
            return None
        try:
            return isoformat(from_beijing_local(datetime.fromisoformat(raw)))
        except ValueError as exc:
            self.errors[name] = f"{label}：{exc}" if "范围" in str(exc) or "年" in str(exc) else f"{label}格式无效"
            return None

    def _criteria(self, i: int) -> list[dict] | None:
        out = []
        for j, line in enumerate(self.lot_value(i, "criteria").splitlines()):
            line = line.strip()
            if not line:
                continue
            name, _, points = line.rpartition(" ")
            try:
                Decimal(points)
            except InvalidOperation:
                name = ""
            if not name.strip():
                self.errors[f"lots[{i}].criteria"] = f"第{j + 1}行应为“评分因素名称 最高分”，如“技术方案 50”"
                return None
            out.append({"code": f"c{len(out) + 1}", "name": name.strip(), "max_points": points})
        return out

    def body(self, staff: bool = False) -> dict:
        """The API body; page-side problems (times, criteria lines) are kept and raised with the service's."""
        d = self.data
        invited = [u.strip() for u in (d.get("invited") or "").replace("，", ",").replace(",", "\n").splitlines()
                   if u.strip()]
        body: dict = {"kind": d.get("kind"), "title": d.get("title", ""), "location": d.get("location", ""),
                      "description": d.get("description", ""), "method": d.get("method"),
                      "evaluation": d.get("evaluation"), "invited": invited,
                      "announce_start": self._instant("announce_start", "公告开始时间"),
                      "bid_deadline": self._instant("bid_deadline", "投标截止时间"), "lots": []}
        if staff and d.get("owner", "").strip():
            body["owner"] = d.get("owner", "").strip()
        for i in range(self.lot_count):
            raw_size = self.lot_value(i, "committee_size").strip()
            lot = {"name": self.lot_value(i, "name"), "budget": self.lot_value(i, "budget").strip(),
                   "security_amount": self.lot_value(i, "security_amount").strip(),
                   "speciality": self.lot_value(i, "speciality").strip(),
                   "committee_size": int(raw_size) if raw_size.isdigit() and len(raw_size) < 4 else raw_size,
                   "price_points": self.lot_value(i, "price_points").strip(),
                   "criteria": self._criteria(i) or []}
            body["lots"].append(lot)
        self._page_errors = dict(self.errors)
        return body

    def apply_errors(self, err: DomainError) -> None:
        fields = dict(getattr(self, "_page_errors", {}))
        for k, v in (err.fields or {}).items():
            if k in ("announce_start", "bid_deadline") and k in fields:
                continue  # the page's message about the typed time is the clearer one
            fields.setdefault(k, v)
        self.errors = fields
        self.message = "请修正下列标红的字段后再提交" if fields else err.message


class QuestionForm(FlaskForm):
    text = TextAreaField("问题", validators=[DataRequired("请填写问题"), Length(max=2000, message="问题不超过2000字")])


class ReasonForm(FlaskForm):
    reason = TextAreaField("理由", validators=[DataRequired("请填写理由"), Length(max=2000, message="不超过2000字")])


class ExpertForm(FlaskForm):
    """Staff add an expert to the pool (评标专家库); the work unit is what the draw avoids."""

    username = StringField("用户名", validators=[DataRequired("请填写用户名"), valid_username],
                           render_kw={"maxlength": 32, "title": USERNAME_HINT})
    password = PasswordField("初始密码", validators=[DataRequired("请填写初始密码"), strong_password])
    display_name = StringField("姓名", validators=[DataRequired("请填写专家姓名"), Length(max=100, message="不超过100字")])
    organisation = StringField("工作单位", validators=[DataRequired("请填写工作单位"),
                                                   Length(max=200, message="不超过200字")])
    speciality = StringField("专业代码", validators=[DataRequired("请填写专业代码"), Length(max=32, message="不超过32字符")],
                             render_kw={"placeholder": "如 construction、procurement"})
    phone = StringField("手机号码", validators=[Optional(), mainland_mobile], render_kw={"inputmode": "tel"})


class DocumentForm(FlaskForm):
    title = StringField("文件名称", validators=[DataRequired("请填写文件名称"), Length(max=200)])
    file = FileField("PDF 文件（不超过 20 MB）", validators=[FileRequired("请选择 PDF 文件")])


class ClarificationForm(FlaskForm):
    text = TextAreaField("澄清/修改内容", validators=[DataRequired("请填写澄清/修改内容"), Length(max=10000)])
    bid_deadline = DateTimeLocalField("顺延后的投标截止时间（北京时间，可不填）", format=["%Y-%m-%dT%H:%M",
                                                                                 "%Y-%m-%dT%H:%M:%S"],
                                      validators=[Optional()])

    def deadline_iso(self) -> str | None:
        if self.bid_deadline.data is None:
            return None
        try:
            return isoformat(from_beijing_local(self.bid_deadline.data))
        except ValueError as exc:
            from trading.errors import Invalid

            raise Invalid(f"顺延后的投标截止时间：{exc}", fields={"bid_deadline": str(exc)}) from None


class RegisterForm(FlaskForm):
    security_type = RadioField("投标保证金形式", choices=choices([("guarantee", "电子保函（投标保函）"),
                                                           ("deposit", "现金保证金（转账缴纳）")]),
                               validators=[DataRequired("请选择投标保证金形式")], default="guarantee")
    guarantee_no = StringField("保函编号", validators=[Length(max=64)])

    def validate_guarantee_no(self, field) -> None:
        from wtforms.validators import ValidationError

        if self.security_type.data == "guarantee" and not (field.data or "").strip():
            raise ValidationError("选择电子保函时请填写保函编号")


class ScoreForm:
    """An expert's sheets: one row per valid bid, a points field per criterion, or a reject with its reason."""

    def __init__(self, lot, bids, sheets, org_name):
        by_bid = {s.bid_id: s for s in sheets}
        self.criteria = lot.criteria or []
        self.rows = []
        for i, bid in enumerate(bids):
            s = by_bid.get(bid.id)
            self.rows.append({"i": i, "org": org_name(bid.bidder), "price": bid.price,
                              "points": dict(s.points) if s else {}, "reject": bool(s and s.reject),
                              "reason": (s.reject_reason if s else "") or ""})

    def read(self, form: MultiDict) -> None:
        for row in self.rows:
            i = row["i"]
            row["points"] = {c["code"]: (form.get(f"b{i}-{c['code']}") or "").strip() for c in self.criteria}
            row["reject"] = form.get(f"b{i}-reject") == "1"
            row["reason"] = (form.get(f"b{i}-reason") or "").strip()

    def body(self) -> dict:
        bids = []
        for row in self.rows:
            points = {k: v for k, v in row["points"].items() if v != ""}
            bids.append({"bidder_org": row["org"], "points": points, "reject": row["reject"],
                         "reject_reason": row["reason"] or None})
        return {"bids": bids}
