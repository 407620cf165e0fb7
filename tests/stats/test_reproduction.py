"""The reproduction dataset reads exactly as the published report."""

from __future__ import annotations

import io

PUBLIC = "1—5月完成公共资源交易69宗，交易总额2.82亿元，节约资金581.57万元"
# each label names its own figure: the listed area is not the transferred area (issue 17)
RURAL = ("网上挂牌21宗，挂牌面积44.27亩，挂牌金额668.58万元；完成流转交易38宗，流转面积111.87亩，"
         "成交金额465.29万元；出具交易鉴证书3宗，鉴证面积99.92亩、鉴证金额104.12万元，"
         "涉及村集体经济收入104.12万元（年均11.24万元）")


def test_report_cli_prints_the_published_figures_from_the_dataset(app, runner):
    with app.app_context():  # the `flask` executable pushes one; the test runner does not
        r = runner.invoke(args=["demo", "--dataset", "luzhai-2025h1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["report", "--from", "2025-01-01", "--to", "2025-05-31"])
    assert r.exit_code == 0, r.output
    assert PUBLIC + "，节资率" in r.output
    assert r.output.startswith("鹿寨县公共资源交易中心2025年1—5月交易工作情况\n")
    r = runner.invoke(args=["report", "--from", "2025-01-01", "--to", "2025-06-30"])
    assert "1—6月" + app.config["TRADING_RURAL_CENTER_NAME"] + RURAL + "；" in r.output
    # loading twice changes nothing
    with app.app_context():
        again = runner.invoke(args=["demo", "--dataset", "luzhai-2025h1"])
    assert again.exit_code == 0
    assert runner.invoke(args=["report", "--from", "2025-01-01", "--to", "2025-06-30"]).output == r.output


def test_one_run_reports_both_periods_as_the_county_does(app, runner, luzhai):
    """The published report: public-resource figures for 1—5月, rural ones for 1—6月, in one run."""
    r = runner.invoke(args=["report", "--from", "2025-01-01", "--to", "2025-06-30", "--public-to", "2025-05-31"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "鹿寨县公共资源交易中心2025年1—6月交易工作情况"
    assert lines[1] == "统计区间：公共资源交易 2025-01-01 至 2025-05-31；农村产权流转交易、电子保函 2025-01-01 至 2025-06-30（北京时间，按成交日期）"
    assert PUBLIC + "，节资率" in r.output
    assert "1—6月" + app.config["TRADING_RURAL_CENTER_NAME"] + RURAL + "；" in r.output
    # a public-resource end before the start is refused like any reversed range
    bad = runner.invoke(args=["report", "--from", "2025-06-01", "--to", "2025-06-30", "--public-to", "2025-05-31"])
    assert bad.exit_code != 0 and "起始日期不能晚于截止日期" in bad.output


def test_the_docx_has_the_county_heading_style_and_both_periods(client, luzhai, staff, login):
    from docx import Document

    login(staff)
    r = client.get("/stats/report.docx?from=2025-01-01&to=2025-06-30&public_to=2025-05-31")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.data))
    paras = [p for p in doc.paragraphs if p.text]
    assert paras[0].style.name == "Title" and paras[0].text.endswith("2025年1—6月交易工作情况")
    assert paras[0].style.font.size.pt == 22 and paras[0].style.font.name == "方正小标宋简体"
    headings = [p for p in paras if p.style.name == "Heading 1"]
    assert [h.text for h in headings][:2] == ["一、公共资源交易", "二、农村产权流转交易"]
    assert headings[0].style.font.name == "黑体" and headings[0].style.font.size.pt == 16
    assert doc.styles["Normal"].font.name == "仿宋_GB2312"
    text = "\n".join(p.text for p in paras)
    assert PUBLIC in text and RURAL in text and "公共资源交易 2025-01-01 至 2025-05-31" in text


def test_api_figures_of_the_dataset_are_exact_to_the_fen(client, luzhai):
    pub = client.get("/api/v1/stats?from=2025-01-01&to=2025-05-31").get_json()["public_resource"]
    assert (pub["deals"], pub["total_amount"], pub["savings"]) == (69, "282046731.58", "5815703.26")
    rural = client.get("/api/v1/stats?from=2025-01-01&to=2025-06-30").get_json()["rural"]
    assert (rural["listed"], rural["listed_area_mu"], rural["listed_amount"]) == (21, "44.27", "6685812.40")
    assert (rural["deals"], rural["area_mu"], rural["total_amount"]) == (38, "111.87", "4652918.60")
    assert (rural["certificates"], rural["certified_area_mu"], rural["certified_amount"]) == (3, "99.92", "1041235.36")
    # the deal awarded at 00:10 on 1 June (Beijing) belongs to June, not to 1—5月
    june = client.get("/api/v1/stats?from=2025-06-01&to=2025-06-30").get_json()["public_resource"]
    assert june["deals"] == 1
    # every registration of the period is secured by a guarantee or a received deposit
    both = client.get("/api/v1/stats?from=2024-12-01&to=2025-08-31").get_json()
    g, dep = both["guarantees"], both["deposits"]
    assert g["count"] > 0 and dep["count"] > 0
    assert g["count"] + dep["count"] == g["registrations"] == g["guaranteed_registrations"] + dep["count"]
    assert g["capital_freed"] == g["amount"]


def test_dataset_ocds_package_validates_and_counts_the_public_deals(client, luzhai):
    from tests.stats.ocds_rules import validate_package

    pkg = client.get("/api/v1/ocds/releases?from=2025-01-01&to=2025-05-31").get_json()
    assert validate_package(pkg, "ocds-thall01-") == []
    awards = [r for r in pkg["releases"] if "awards" in r and r["awards"][0]["date"] < "2025-06-01"]
    assert len(awards) == 69
    assert all(r["tender"]["numberOfTenderers"] >= 2 for r in awards)


def test_dataset_certificates_verify_and_the_disclosure_page_links_them(client, luzhai):
    page = client.get("/stats/deals?kind=rural_land&from=2025-01-01&to=2025-01-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "鉴证书有效" in html and "/certificates/" in html
    from trading.extensions import db

    with client.application.app_context():
        from certificates.models import Certificate

        certs = db.session.query(Certificate).all()
        pdfs = [c.pdf for c in certs]
        db.session.remove()
    assert len(pdfs) == 3
    v = client.post("/api/v1/certificates/verify", data=pdfs[0], content_type="application/pdf").get_json()
    assert v["valid"] is True, v


def test_staff_report_page_and_downloads(client, luzhai, staff, login):
    login(staff)
    q = "from=2025-01-01&to=2025-05-31"
    page = client.get(f"/stats/report?{q}").get_data(as_text=True)
    assert PUBLIC in page
    txt = client.get(f"/stats/report.txt?{q}")
    assert txt.mimetype == "text/plain" and PUBLIC in txt.get_data(as_text=True)
    docx = client.get(f"/stats/report.docx?{q}")
    assert docx.status_code == 200
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert PUBLIC in text and "三、电子保函与保证金" in text


def test_unknown_dataset_is_refused_with_the_list(app, runner):
    with app.app_context():
        r = runner.invoke(args=["demo", "--dataset", "nowhere-2020"])
    assert r.exit_code == 1
    assert "未知数据集" in r.output and "luzhai-2025h1" in r.output


def test_procurement_and_construction_deals_are_awarded_tenders(app, luzhai):
    """Issue 14 §8: the 63 procurement and construction deals of 1—5月 are awarded tender lots (budget, award price =
    the lowest decrypted bid, award date), no longer descending projects; the 6 asset and land deals stay auctions."""
    from decimal import Decimal

    from sqlalchemy import func, select

    from tenders.models import Lot, Tender, TenderBid
    from trading.demo.datasets import bj
    from trading.extensions import db
    from trading.models import AuditEntry
    from trading.projects.models import Project

    start, end = bj(2025, 1, 1, 0), bj(2025, 6, 1, 0)  # 1—5月, Beijing time
    with app.app_context():
        lots = db.session.execute(select(Lot, Tender).join(Tender).where(
            Lot.status == "awarded", Lot.awarded_at >= start, Lot.awarded_at < end)).all()
        assert len(lots) == 63 and {t.kind for _, t in lots} == {"construction", "procurement"}
        for lot, _ in lots:
            bids = db.session.execute(select(TenderBid).where(TenderBid.lot_id == lot.id)).scalars().all()
            assert len(bids) >= 3 and min(b.price for b in bids) == lot.award_price <= lot.budget
            assert db.session.get(TenderBid, lot.winner_bid_id).price == lot.award_price
        awards = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "lot.award"))
        assert awards == 64  # the 63 above and the one of 1 June
        public = db.session.execute(select(Project.kind, func.count()).where(
            Project.code.like("LZ-GG-%"), Project.status == "awarded").group_by(Project.kind)).all()
        assert dict(public) == {"state_asset": 4, "land_use": 2}
        savings = sum((lot.budget - lot.award_price for lot, _ in lots), Decimal(0))
        assert savings == Decimal("5815703.26")  # every saving is a tender's: the auctions have no budget
