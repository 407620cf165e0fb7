"""Statistics, report and disclosure pages."""

from __future__ import annotations

from tests.stats.conftest import bj


def test_stats_page_shows_cards_charts_and_tables(client, deals):
    deals.add(kind="procurement", direction="descending", start="1000000.00", final="950000.00",
              awarded=bj(2025, 2, 3), town="鹿寨镇")
    deals.add(kind="rural_land", unit="per_mu_year", area="10.00", term=5, start="100.00", final="120.00",
              awarded=bj(2025, 3, 3), town="中渡镇")
    html = client.get("/stats?from=2025-01-01&to=2025-03-31").get_data(as_text=True)
    assert "95.00万元" in html and "5.00万元" in html and "5.00%" in html
    assert html.count("<svg class=\"chart\"") == 5
    assert "2025年2月" in html and "中渡镇" in html and "政府采购" in html
    assert "<script>" not in html  # no inline script (CSP)


def test_empty_period_shows_the_empty_state_and_zeros(client):
    r = client.get("/stats?from=2025-01-01&to=2025-01-31")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "该期间暂无成交" in html and "0.00元" in html


def test_bad_period_on_the_page_is_422_with_the_message(client):
    r = client.get("/stats?from=2025-05-01&to=2025-04-01")
    assert r.status_code == 422
    assert "起始日期不能晚于截止日期" in r.get_data(as_text=True)


def test_report_page_is_for_staff_only(client, factory, login):
    assert client.get("/stats/report").status_code in (302, 401)
    _, bidder = factory.user("bidder", "b_report")
    login(bidder)
    assert client.get("/stats/report").status_code == 403
    assert client.get("/stats/report.docx").status_code == 403


def test_report_page_renders_the_paragraphs(client, deals, staff, login):
    deals.add(kind="construction", direction="descending", start="30000000.00", final="29000000.00",
              awarded=bj(2025, 4, 1))
    login(staff)
    html = client.get("/stats/report?from=2025-04-01&to=2025-04-30").get_data(as_text=True)
    assert "4月完成公共资源交易1宗，交易总额2900.00万元，节约资金100.00万元，节资率3.33%。" in html


def test_disclosure_lists_every_deal_filtered_and_paginated(client, deals):
    for i in range(25):
        deals.add(title=f"鱼塘承包{i:02d}", town="寨沙镇" if i % 2 else "中渡镇")
    deals.add(status="failed", final=None, title="流拍项目")
    html = client.get("/stats/deals").get_data(as_text=True)
    assert "流拍项目" not in html and "共 25 条" in html
    page2 = client.get("/stats/deals?page=2").get_data(as_text=True)
    assert page2.count('class="pcard') == 5
    town = client.get("/stats/deals?town=寨沙镇&per_page=50").get_data(as_text=True)
    assert town.count('class="pcard') == 12
    assert client.get("/stats/deals?q=鱼塘承包07").get_data(as_text=True).count('class="pcard') == 1
    assert "公示期后出具" in html


def test_navigation_offers_stats_and_disclosure(client, staff, login):
    html = client.get("/stats/deals").get_data(as_text=True)
    assert "数据统计" in html and "成交公示" in html and "工作报告" not in html
    login(staff)
    assert "工作报告" in client.get("/stats/deals").get_data(as_text=True)
