"""The public portal: home figures and sections, search/filter/pagination, detail privacy."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from trading import clock
from trading.projects.models import Project


def login(client, username):
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


@pytest.fixture
def listed(factory, api):
    """Three announced projects in two towns and two kinds, plus one private draft."""
    factory.user("collective", "village1")
    factory.user("staff", "staff1")
    ids = {}
    for key, over in {
        "land": {"title": "龙田村耕地经营权出租", "location": "寨沙镇龙田村"},
        "pond": {"title": "长盛村集体鱼塘承包", "location": "中渡镇长盛村", "kind": "rural_asset"},
        "buy": {"title": "卫生院设备采购", "location": "中渡镇卫生院", "kind": "procurement",
                "direction": "descending", "price_unit": "total", "reserve_price": None, "area_mu": None,
                "term_years": None, "start_price": "456000.00", "increment": "1000.00"},
    }.items():
        r = api.post("/api/v1/projects", factory.project_body(**over), user="village1")
        assert r.status_code == 201, r.get_json()
        pid = r.get_json()["id"]
        api.post(f"/api/v1/projects/{pid}/submit", user="village1")
        assert api.post(f"/api/v1/projects/{pid}/approve", user="staff1").status_code == 200
        ids[key] = pid
    r = api.post("/api/v1/projects", factory.project_body(title="尚未提交的草稿"), user="village1")
    ids["draft"] = r.get_json()["id"]
    return ids


def test_home_shows_empty_states_without_data(client):
    html = client.get("/").get_data(as_text=True)
    assert "暂无正在报名的项目" in html and "近期没有竞价场次" in html and "暂无成交结果" in html
    assert "0.00元" in html  # total amount of no deals


def test_home_sections_and_headline_figures(client, listed, db):
    project = db.session.get(Project, listed["land"])
    project.status, project.final_price = "awarded", Decimal("830.00")
    project.closed_at = project.awarded_at = clock.now()
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    # 3 listed; one deal: 830 × 44.27 亩 × 5 年 = 183,720.50 元 → 18.37万元
    assert '3<small>宗</small>' in html and '1<small>宗</small>' in html and "18.37万元" in html
    assert "正在报名" in html and "长盛村集体鱼塘承包" in html and "尚未提交的草稿" not in html
    assert "data-countdown" in html
    assert "龙田村耕地经营权出租" in html.split("最新成交")[1]


def test_running_and_upcoming_auctions_have_server_time_countdowns(client, listed):
    clock.freeze(clock.now() + timedelta(days=6, hours=1, minutes=30))  # inside every bidding window
    html = client.get("/").get_data(as_text=True)
    live = html.split("正在竞价 / 即将开始")[1].split("最新成交")[0]
    assert "距竞价结束" in live and "竞价中" in live
    assert f'data-server-time="{clock.isoformat(clock.now())}"' in html


def test_project_list_search_filters_and_pagination(client, listed, app, monkeypatch):
    html = client.get("/projects").get_data(as_text=True)
    assert "共 3 个项目" in html and "尚未提交的草稿" not in html
    assert "寨沙镇" in html and "中渡镇" in html  # towns come from the data
    assert "共 1 个项目" in client.get("/projects?q=鱼塘").get_data(as_text=True)
    assert "共 2 个项目" in client.get("/projects?q=中渡镇").get_data(as_text=True)
    assert "共 1 个项目" in client.get("/projects?q=GG-").get_data(as_text=True)
    html = client.get("/projects?kind=procurement").get_data(as_text=True)
    assert "卫生院设备采购" in html and "龙田村" not in html
    html = client.get("/projects?town=中渡镇&kind=rural_asset").get_data(as_text=True)
    assert "共 1 个项目" in html and "长盛村集体鱼塘承包" in html
    assert "共 3 个项目" in client.get("/projects?status=announced").get_data(as_text=True)
    assert "没有找到符合条件的项目" in client.get("/projects?status=awarded").get_data(as_text=True)
    assert "共 3 个项目" in client.get("/projects?kind=bogus&status=bogus&page=x").get_data(as_text=True)
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    page1 = client.get("/projects").get_data(as_text=True)
    page2 = client.get("/projects?page=2").get_data(as_text=True)
    assert page1.count('class="pcard ') == 2 and page2.count('class="pcard ') == 1
    assert "下一页" in page1 and 'href="/projects?page=2"' in page1


def test_detail_shows_facts_in_beijing_time_and_hides_the_reserve_from_the_public(client, listed, db):
    pid = listed["land"]
    project = db.session.get(Project, pid)
    start = clock.display(project.bidding_start, seconds=True)
    db.session.rollback()
    html = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "44.27 亩" in html and "5 年" in html and "800.00元" in html and "/亩/年" in html
    assert "5,000.00元" in html and "10.00元" in html and start in html
    assert "折合总价 177,080.00元" in html
    assert "850.00" not in html and "保留价" not in html
    assert "距报名截止" in html and 'aria-current="step">报名' in html
    login(client, "staff1")
    assert "850.00" in client.get(f"/projects/{pid}").get_data(as_text=True)
    client.post("/logout")
    login(client, "village1")
    assert "850.00" in client.get(f"/projects/{pid}").get_data(as_text=True)


def test_drafts_are_private_and_unknown_ids_are_404(client, listed, factory):
    assert client.get(f"/projects/{listed['draft']}").status_code == 403
    factory.user("bidder", "coop1")
    login(client, "coop1")
    assert client.get(f"/projects/{listed['draft']}").status_code == 403
    assert client.get("/projects/999999").status_code == 404
    client.post("/logout")
    login(client, "staff1")
    assert client.get(f"/projects/{listed['draft']}").status_code == 200


def test_detail_life_steps_follow_the_clock(client, listed, db):
    pid = listed["pond"]
    project = db.session.get(Project, pid)
    reg_end, ends = project.registration_end, project.bidding_end
    db.session.rollback()
    clock.freeze(reg_end + timedelta(minutes=1))
    html = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "距竞价开始" in html and 'aria-current="step">竞价' in html
    clock.freeze(ends + timedelta(minutes=1))  # no bid: the clock implies a failed auction
    html = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert 'aria-current="step">流拍' in html and "badge-failed" in html


def test_panels_registered_by_other_packages_are_rendered(client, listed):
    from markupsafe import Markup

    from trading import panels

    def panel(project, user):
        return Markup('<section class="card" id="test-panel">报名入口 {}</section>').format(project.code)

    panels.register(panel, order=10)
    try:
        html = client.get(f"/projects/{listed['land']}").get_data(as_text=True)
        assert 'id="test-panel"' in html
    finally:
        panels.PROVIDERS[:] = [p for p in panels.PROVIDERS if p[1] is not panel]


def test_listing_of_the_detail_page_rows_is_unchanged_by_views(listed, client, db):
    # reading pages writes nothing: the project rows keep the stored status
    clock.freeze(clock.now() + timedelta(days=30))
    for pid in listed.values():
        client.get(f"/projects/{pid}")
    client.get("/")
    client.get("/projects")
    assert set(db.session.execute(select(Project.status)).scalars()) == {"announced", "draft"}
    db.session.rollback()
