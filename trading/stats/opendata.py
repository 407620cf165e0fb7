"""Rural deals as open data, in the field names of the public-resource trading data specification."""

from __future__ import annotations

from sqlalchemy import select

from trading.clock import isoformat
from trading.extensions import db
from trading.money import rate, rate_str, to_str
from trading.projects.models import Project
from trading.projects.rules import KIND_LABELS, METHOD_LABELS, RURAL_KINDS, UNIT_LABELS
from trading.projects.states import DEALS
from trading.stats.dataspec import code_of
from trading.stats.queries import certificate_for
from trading.stats.rules import DealRow, Period, deal_total, start_total

SPEC = "公共资源交易平台系统数据规范（农村产权流转交易成交信息）"


def _deal_row(p: Project) -> DealRow:
    return DealRow(p.id, p.kind, p.direction, p.price_unit, p.area_mu, p.term_years, p.start_price, p.budget,
                   p.final_price, p.awarded_at, p.town)  # type: ignore[arg-type]


def deal_record(p: Project, cert=None) -> dict:
    row = _deal_row(p)
    total, start = deal_total(row), start_total(row)
    return {
        "统一交易标识码": code_of(p),
        "项目编号": p.code,
        "项目名称": p.title,
        "交易品种": KIND_LABELS.get(p.kind, p.kind),
        "交易标的": f"{p.location}{p.title}",
        "标的所在地": p.location,
        "所属乡镇": p.town,
        "面积（亩）": to_str(p.area_mu),
        "流转期限（年）": p.term_years,
        "交易方式": METHOD_LABELS.get(p.method, p.method),
        "价格单位": UNIT_LABELS.get(p.price_unit, p.price_unit),
        "挂牌价格": to_str(p.start_price),
        "挂牌总价": to_str(start),
        "成交价格": to_str(p.final_price),
        "成交金额": to_str(total),
        "溢价率": rate_str(rate(total - start, start)) if p.direction == "ascending" else None,
        "出让方": p.owner.name if p.owner else None,
        "受让方": p.winner.name if p.winner else None,
        "成交时间": isoformat(p.awarded_at),
        "公示截止时间": isoformat(p.publicity_ends_at),
        "鉴证书编号": getattr(cert, "number", None),
        "鉴证书状态": {"valid": "有效", "revoked": "已撤销"}.get(getattr(cert, "status", None) or ""),
    }


def rural_deals(period: Period) -> dict:
    """Rural deals awarded in the period (Beijing dates), oldest first."""
    start, end = period.bounds()
    stmt = (select(Project).where(Project.kind.in_(RURAL_KINDS), Project.status.in_(DEALS),
                                  Project.awarded_at >= start, Project.awarded_at < end,
                                  Project.final_price.is_not(None))
            .order_by(Project.awarded_at, Project.id))
    projects = list(db.session.execute(stmt).scalars())
    certs = certificate_for([p.id for p in projects])
    items = [deal_record(p, certs.get(p.id)) for p in projects]
    return {"规范": SPEC, "统计起始日期": period.start.isoformat(), "统计截止日期": period.end.isoformat(),
            "成交宗数": len(items), "items": items}
