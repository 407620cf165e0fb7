"""The certificate page's fast paths draw exactly what the general reportlab path draws."""

from __future__ import annotations

import io
import shutil

import pytest

TEXTS = [
    "成交总额 179,293.50元",
    "项目编号",
    "NC-2026-0745",
    "x",
    "2026-11-13 03:41:36 至 2026-11-14 03:41:36",
    "鹿寨县寨沙镇龙田村集体经营性建设用地使用权及附属设施（含仓储用房、晒场、机耕道）长期出租项目（第二批次）",
    "a & b < c",  # markup characters: always a Paragraph
    "two  spaces ",  # whitespace the Paragraph would collapse: always a Paragraph
]


def _code(flowable, width):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(io.BytesIO(), pageCompression=0)
    sizes = [flowable.wrap(width, 1000), flowable.wrap(width, 1000)]  # the Table wraps twice
    flowable.drawOn(c, 37.5, 401.25)
    return sizes, "\n".join(c._code)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("width", [60.0, 95.7, 380.0])
def test_line_cell_draws_what_a_paragraph_draws(text, width):
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.platypus import Paragraph

    from certificates import pdf

    pdf.register_font()
    for size, color in [(10.5, colors.black), (10, colors.Color(0.25, 0.25, 0.25)), (7.5, colors.Color(0.3, 0.3, 0.3))]:
        fast = pdf._p(text, size, color=color)
        assert _code(fast, width) == _code(Paragraph(escape(text), pdf._style(size, color)), width)


def _facts(**changes):
    from certificates import rules

    facts = {
        "number": "NC-2026-C0001", "number_text": "鹿农交鉴〔2026〕0001号", "title": rules.TITLES[False],
        "center": "鹿寨县农村产权流转交易中心", "public_resource": False, "project_code": "NC-2026-0001",
        "project_title": "寨沙镇龙田村耕地经营权出租", "kind_label": "土地经营权", "location": "寨沙镇龙田村",
        "area_mu": "44.27", "term_years": 5,
        "transferor": {"role": "出让方（转出方）", "name": "龙田村股份经济合作社", "org_code": "N2450223MF0123456X"},
        "transferee": {"role": "受让方（转入方）", "name": "鹿寨县丰收种养专业合作社", "org_code": None},
        "price": "810.00", "unit_label": "元/亩/年", "total_amount": "179293.50",
        "total_amount_capital": "壹拾柒万玖仟贰佰玖拾叁元伍角整", "start_price": "800.00", "rate": "0.0125",
        "method_label": "网络竞价", "direction_label": "增价", "bid_count": 7,
        "bidding_start": "2026-05-01T01:00:00+00:00", "bidding_end": "2026-05-01T02:00:00+00:00",
        "awarded_at": "2026-05-01T02:00:00+00:00", "publicity_start": "2026-05-01T02:00:00+00:00",
        "publicity_end": "2026-05-06T02:00:00+00:00", "issued_at": "2026-05-07T02:00:00+00:00",
        "audit_head": {"seq": 42, "hash": "ab" * 32}, "verify_url": "http://127.0.0.1:5000/certificates/NC-2026-C0001",
    }
    return rules.render_context({**facts, **changes})


def _font_programs(data: bytes) -> list[bytes]:
    """The embedded TrueType programs: the streams whose dictionary has /Length1."""
    import re

    return re.findall(rb"<<[^>]*/Length1 \d+[^>]*>>\s*stream\r?\n(.*?)endstream", data, re.S)


def test_constant_text_has_one_cached_font_subset_and_the_rest_its_own():
    from certificates import pdf

    a = pdf.build_pdf(_facts())
    b = pdf.build_pdf(_facts(number="NC-2026-C0002", project_title="古偿屯水田经营权出租（二期）",
                             transferee={"role": "受让方（转入方）", "name": "覃氏兄弟家庭农场", "org_code": None}))
    for data in (a, b):
        assert data.count(b"/FontFile2") == 2  # the constant text's subset and the certificate's own
        assert b"+WenQuanYiMicroHei" in data and b"/Helvetica" not in data
    programs_a, programs_b = _font_programs(a), _font_programs(b)
    assert len(programs_a) == len(programs_b) == 2
    assert programs_a[0] == programs_b[0] and programs_a[1] != programs_b[1]
    assert any(program is not None for program in pdf._subsets._programs.values())  # built once, then reused


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (make system-deps) not installed")
def test_text_extracted_from_the_certificate_is_what_was_printed(tmp_path):
    import subprocess

    from certificates import pdf

    f = _facts(project_title="古偿屯水田经营权出租（二期）", location="大塘屯＆那么屯",
               transferee={"role": "受让方（转入方）", "name": "覃氏兄弟家庭农场", "org_code": None})
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf.build_pdf(f))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,  # noqa: S603, S607
                          text=True).stdout
    for value in (f["center"], f["title"], f["number_text"], "古偿屯水田经营权出租（二期）", "大塘屯＆那么屯",
                  "覃氏兄弟家庭农场", "壹拾柒万玖仟贰佰玖拾叁元伍角整", "179,293.50元", f["statement"][:20],
                  pdf.SCAN_HINT, "ab" * 32, "2026年5月7日"):
        assert value in text, value


def test_priming_a_document_already_drawn_on_does_nothing():
    import io

    from reportlab.pdfgen import canvas

    from certificates import pdf

    pdf.register_font()
    c = canvas.Canvas(io.BytesIO())
    c.setFont(pdf.FONT, 10)
    c.drawString(10, 10, "已有文字")
    assert pdf._subsets is not None and pdf._subsets.prime(c._doc, "编号") is False
