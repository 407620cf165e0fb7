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
    public_period: Period | None = None  # the public-resource figures' period, when it differs (e.g. 1—5月)

    def periods_line(self) -> str:
        """The periods the figures cover, as the report states them."""
        def span(p: Period) -> str:
            return f"{p.start.isoformat()} 至 {p.end.isoformat()}"
        pub = self.public_period or self.period
        if pub == self.period:
            return f"统计区间：{span(self.period)}（北京时间，按成交日期）"
        return (f"统计区间：公共资源交易 {span(pub)}；农村产权流转交易、电子保函 {span(self.period)}"
                f"（北京时间，按成交日期）")

    def text(self) -> str:
        parts = [self.title, self.periods_line(), ""]
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


def rural_paragraph(label: str, rural: dict, center: str | None = None, collective: dict | None = None) -> str:
    """Listings (挂牌: count, listed area, listed amount), completed transfers (流转: their own area and amount),
    certificates (鉴证: area, amount) and the village collectives' income under the certified deals."""
    text = (f"{label}{center or '农村产权交易中心'}网上挂牌{rural['listed']}宗，挂牌面积{mu(rural['listed_area_mu'])}，"
            f"挂牌金额{big(rural['listed_amount'])}；完成流转交易{rural['deals']}宗，流转面积{mu(rural['area_mu'])}，"
            f"成交金额{big(rural['total_amount'])}；出具交易鉴证书{rural['certificates']}宗")
    if rural["certificates"]:
        text += f"，鉴证面积{mu(rural['certified_area_mu'])}、鉴证金额{big(rural['certified_amount'])}"
    if collective is not None and collective["amount"]:
        text += f"，涉及村集体经济收入{big(collective['amount'])}（年均{big(collective['annual'])}）"
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


def savings_paragraph(label: str, pub: dict, rural: dict, rural_label: str | None = None) -> str:
    text = (f"{label}政府采购和工程建设项目预算（最高限价）合计{big(pub['budget'])}，"
            f"节约资金{big(pub['savings'])}")
    text += f"，节资率{percent(pub['savings_rate'])}" if pub["savings_rate"] is not None else ""
    if rural["premium_rate"] is not None:
        prefix = rural_label if rural_label and rural_label != label else ""
        text += f"；{prefix}农村产权竞价交易溢价率{percent(rural['premium_rate'])}，实现村集体资产增值"
    return text + "。"


def build(period: Period, figures: dict, center: str, rural_center: str | None = None,
          public: tuple[Period, dict] | None = None) -> Report:
    """The report from the figures of trading.stats.queries.compute(period); `rural_center` names the rural
    property-rights center in its paragraph (the generic name when not configured). `public` = (period,
    figures) when the public-resource figures cover another period than the rest (the county reports public
    deals to the end of the previous month, 1—5月, and rural ones to the end of this one, 1—6月): each paragraph
    then states its own period, in one report. `figures["collective"]` (optional) is the village collectives'
    income under the certified deals (queries.collective_income)."""
    label = period.label()
    pub_period, pub_figures = public if public is not None else (period, figures)
    pub_label = pub_period.label()
    year = f"{period.start.year}年" if period.start.year == period.end.year else ""
    title = f"{center}{year}{label}交易工作情况"
    pub, rural = pub_figures["public_resource"], figures["rural"]
    report = Report(title, period, public_period=pub_period)
    report.sections = [
        ("一、公共资源交易", public_paragraph(pub_label, pub)),
        ("二、农村产权流转交易", rural_paragraph(label, rural, rural_center, figures.get("collective"))),
        ("三、电子保函与保证金", guarantee_paragraph(label, figures["guarantees"], figures["deposits"])),
        ("四、节约资金与增值", savings_paragraph(pub_label, pub, rural, label)),
    ]
    return report


def generate(period: Period, public_period: Period | None = None) -> Report:
    """One run for both periods: `period` for the rural, guarantee and deposit figures, `public_period`
    (default: the same) for the public-resource ones."""
    from flask import current_app

    from trading.stats.queries import collective_income, compute

    cfg = current_app.config
    figures = compute(period)
    figures["collective"] = collective_income(*period.bounds())
    public = (public_period, compute(public_period)) if public_period and public_period != period else None
    return build(period, figures, cfg["TRADING_CENTER_NAME"], cfg.get("TRADING_RURAL_CENTER_NAME"), public)


# The county's document style (党政机关公文格式, GB/T 9704): title in 小标宋 二号 (22 pt) centred, level-one
# headings "一、" in 黑体 三号 (16 pt), body in 仿宋_GB2312 三号 with a two-character first-line indent and a fixed
# 28 pt line spacing. Fonts fall back to what the reader has installed; the styles keep Word's heading levels
# (the navigation pane) and are black, not Word's blue.
TITLE_FONT, HEADING_FONT, BODY_FONT = "方正小标宋简体", "黑体", "仿宋_GB2312"


def _font(style_or_run, name: str, size_pt: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = style_or_run.font
    font.name, font.size, font.bold = name, Pt(size_pt), bold
    font.color.rgb = RGBColor(0, 0, 0)
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def to_docx(report: Report) -> bytes:
    """The report as a Word document (python-docx) in the county's heading style."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    doc = Document()
    body = doc.styles["Normal"]
    _font(body, BODY_FONT, 16)
    fmt = body.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    title_style, heading_style = doc.styles["Title"], doc.styles["Heading 1"]
    _font(title_style, TITLE_FONT, 22)
    title_style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_style.paragraph_format.space_after = Pt(28)
    _font(heading_style, HEADING_FONT, 16)
    heading_style.paragraph_format.first_line_indent = Pt(32)
    heading_style.paragraph_format.space_before = Pt(0)
    heading_style.paragraph_format.space_after = Pt(0)
    heading_style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    heading_style.paragraph_format.line_spacing = Pt(28)
    # python-docx's Title style has a bottom border in the default template: the county's title has none
    ppr = title_style.element.get_or_add_pPr()
    for border in ppr.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr"):
        ppr.remove(border)
    doc.add_paragraph(report.title, style="Title")
    period = doc.add_paragraph(report.periods_line())
    period.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in period.runs:
        _font(run, "楷体_GB2312", 14)
    for heading, para in report.sections:
        doc.add_paragraph(heading, style="Heading 1")
        p = doc.add_paragraph(para)
        p.paragraph_format.first_line_indent = Pt(32)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
