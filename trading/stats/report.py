"""The work-report generator: the Chinese paragraphs the centers publish, exact to the fen.

Counts in 宗, areas in 亩 to 2 decimals, amounts in 亿元/万元 chosen by magnitude (trading.money.big).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from trading.money import big, percent, quantize
from trading.stats.rules import Period


@dataclass
class Report:
    title: str
    period: Period
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, paragraph)

    def text(self) -> str:
        parts = [self.title, ""]
        for heading, para in self.sections:
            parts += [f"{heading}", para, ""]
        return "\n".join(parts).rstrip() + "\n"


def mu(value: Decimal) -> str:
    return f"{quantize(value)}亩"


def public_paragraph(label: str, pub: dict) -> str:
    text = (f"{label}完成公共资源交易{pub['deals']}宗，交易总额{big(pub['total_amount'])}，"
            f"节约资金{big(pub['savings'])}")
    if pub["savings_rate"] is not None:
        text += f"，节资率{percent(pub['savings_rate'])}"
    return text + "。"


def rural_paragraph(label: str, rural: dict, center: str | None = None) -> str:
    text = (f"{label}{center or '农村产权交易中心'}网上挂牌{rural['listed']}宗，流转面积{mu(rural['listed_area_mu'])}，"
            f"挂牌金额{big(rural['listed_amount'])}；完成流转交易{rural['deals']}宗，面积{mu(rural['area_mu'])}，"
            f"交易金额{big(rural['total_amount'])}；出具交易鉴证书{rural['certificates']}宗")
    if rural["certificates"]:
        text += f"，涉及面积{mu(rural['certified_area_mu'])}、金额{big(rural['certified_amount'])}"
    if rural["premium_rate"] is not None:
        text += f"；竞价项目平均溢价率{percent(rural['premium_rate'])}"
    return text + "。"


def guarantee_paragraph(label: str, g: dict, deposits: dict) -> str:
    text = f"{label}以电子保函代替现金保证金{g['count']}笔，保函金额{big(g['amount'])}"
    if g["share"] is not None:
        text += f"，占报名总数的{percent(g['share'])}"
    text += f"，为市场主体释放资金{big(g['capital_freed'])}"
    text += f"；收取现金保证金{deposits['count']}笔，金额{big(deposits['amount'])}。"
    return text


def savings_paragraph(label: str, pub: dict, rural: dict) -> str:
    text = (f"{label}政府采购和工程建设项目预算（最高限价）合计{big(pub['budget'])}，"
            f"节约资金{big(pub['savings'])}")
    text += f"，节资率{percent(pub['savings_rate'])}" if pub["savings_rate"] is not None else ""
    if rural["premium_rate"] is not None:
        text += f"；农村产权竞价交易溢价率{percent(rural['premium_rate'])}，实现村集体资产增值"
    return text + "。"


def build(period: Period, figures: dict, center: str, rural_center: str | None = None) -> Report:
    """The report from the figures of trading.stats.queries.compute(period); `rural_center` names the rural
    property-rights center in its paragraph (the generic name when not configured)."""
    label = period.label()
    year = f"{period.start.year}年" if period.start.year == period.end.year else ""
    title = f"{center}{year}{label}交易工作情况"
    pub, rural = figures["public_resource"], figures["rural"]
    report = Report(title, period)
    report.sections = [
        ("一、公共资源交易", public_paragraph(label, pub)),
        ("二、农村产权流转交易", rural_paragraph(label, rural, rural_center)),
        ("三、电子保函与保证金", guarantee_paragraph(label, figures["guarantees"], figures["deposits"])),
        ("四、节约资金与增值", savings_paragraph(label, pub, rural)),
    ]
    return report


def generate(period: Period) -> Report:
    from flask import current_app

    from trading.stats.queries import compute

    cfg = current_app.config
    return build(period, compute(period), cfg["TRADING_CENTER_NAME"], cfg.get("TRADING_RURAL_CENTER_NAME"))


def to_docx(report: Report) -> bytes:
    """The report as a Word document (python-docx)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(report.title, level=1)
    doc.add_paragraph(f"统计区间：{report.period.start.isoformat()} 至 {report.period.end.isoformat()}（北京时间，按成交日期）")
    for heading, para in report.sections:
        doc.add_heading(heading, level=2)
        doc.add_paragraph(para)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
