"""Pages: a collective's create → bad input → fix → submit; staff approve / reject / list on behalf."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from trading import clock
from trading.models import AuditEntry
from trading.projects.models import Project


def login(client, username):
    r = client.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302


def local(t):
    """A datetime-local value typed in Beijing time."""
    return t.astimezone(clock.BEIJING).strftime("%Y-%m-%dT%H:%M")


def form_data(**over):
    t = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    data = {"kind": "rural_land", "title": "龙田村耕地经营权出租", "location": "寨沙镇龙田村", "town": "",
            "description": "水田，灌溉便利", "method": "auction", "direction": "ascending",
            "price_unit": "per_mu_year", "area_mu": "44.27", "term_years": "5", "start_price": "800",
            "reserve_price": "850.00", "budget": "", "increment": "10", "deposit": "5,000.00",
            "extension_seconds": "300", "announce_start": local(t), "registration_end": local(t + timedelta(days=6)),
            "bidding_start": local(t + timedelta(days=6, hours=1)), "bidding_end": local(t + timedelta(days=6, hours=2)),
            "priority_holders": ""}
    data.update(over)
    return data


def fields_in_error(html: str) -> set[str]:
    """Names of the inputs whose field block is marked has-error (the message sits in that block)."""
    blocks = re.findall(r'<div class="field[^"]*has-error[^"]*">(.*?)</div>', html, re.S)
    return {name for block in blocks for name in re.findall(r'name="([a-z_]+)"', block)}


def rows(db, stmt):
    try:
        return db.session.execute(stmt).scalars().all()
    finally:
        db.session.rollback()


@pytest.fixture
def people(factory):
    factory.user("collective", "village1")
    factory.user("collective", "village2")
    factory.user("staff", "staff1")
    factory.user("bidder", "coop1")
    return factory


def test_collective_create_bad_input_fix_submit_and_staff_approve(client, people, db):
    login(client, "village1")
    assert "发布交易项目" in client.get("/my/projects/new").get_data(as_text=True)
    bad = form_data(kind="", title="", location="x", start_price="-5", increment="abc", deposit="1.234",
                    term_years="five", area_mu="0", reserve_price="12.5.0", extension_seconds="-1",
                    priority_holders="ghost", bidding_end="明天")
    r = client.post("/my/projects/new", data=bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for msg in ("必填项", "内容过短", "不能为负数", "格式无效", "最多保留两位小数", "必须是整数", "必须大于零",
                "数值过小", "请填写有效的日期和时间"):
        assert msg in html, msg
    assert fields_in_error(html) == {"kind", "title", "location", "start_price", "increment", "deposit", "term_years",
                                     "area_mu", "reserve_price", "extension_seconds", "bidding_end"}
    assert rows(db, select(Project)) == []
    assert rows(db, select(AuditEntry).where(AuditEntry.action.like("project.%"))) == []

    r = client.post("/my/projects/new", data=form_data(priority_holders="coop1, ghost"))
    assert "优先权人须为已注册的竞买人：ghost" in r.get_data(as_text=True)
    assert rows(db, select(Project)) == []

    r = client.post("/my/projects/new", data=form_data(priority_holders="coop1"))
    assert r.status_code == 302
    (project,) = rows(db, select(Project))
    assert project.status == "draft" and project.code.startswith("NC-")
    assert str(project.deposit) == "5000.00" and str(project.start_price) == "800.00"
    assert project.town == "寨沙镇"
    # the form's wall-clock time is Beijing time: stored UTC is eight hours earlier
    typed = form_data()["bidding_start"]
    assert clock.to_beijing(project.bidding_start).strftime("%Y-%m-%dT%H:%M") == typed
    assert project.bidding_start.utcoffset() == timedelta(0)
    pid = project.id

    r = client.get(f"/projects/{pid}")
    assert "提交审核" in r.get_data(as_text=True) and "保留价" in r.get_data(as_text=True)
    edit = client.get(f"/my/projects/{pid}/edit").get_data(as_text=True)
    assert f'value="{typed}"' in edit and 'value="coop1"' in edit
    r = client.post(f"/my/projects/{pid}/edit", data=form_data(title="龙田村耕地经营权出租（二次）"))
    assert r.status_code == 302
    r = client.post(f"/my/projects/{pid}/submit", follow_redirects=True)
    assert "已提交交易中心审核" in r.get_data(as_text=True)
    assert client.get(f"/my/projects/{pid}/edit").status_code == 302  # no longer editable

    client.post("/logout")
    login(client, "staff1")
    queue = client.get("/staff/review").get_data(as_text=True)
    assert "龙田村耕地经营权出租（二次）" in queue
    r = client.post(f"/staff/projects/{pid}/approve", follow_redirects=True)
    assert "已审核通过并挂牌公告" in r.get_data(as_text=True)
    (project,) = rows(db, select(Project))
    assert project.status == "announced" and project.approved_at is not None
    actions = rows(db, select(AuditEntry.action).where(AuditEntry.object == f"project:{pid}").order_by(AuditEntry.seq))
    assert actions == ["project.create", "project.update", "project.submit", "project.approve"]
    assert "审核队列为空" in client.get("/staff/review").get_data(as_text=True)


def test_window_errors_are_shown_at_the_top_and_nothing_is_stored(client, people, db):
    login(client, "village1")
    t = clock.now()
    r = client.post("/my/projects/new", data=form_data(bidding_start=local(t + timedelta(days=2)),
                                                       bidding_end=local(t + timedelta(days=2, hours=1)),
                                                       registration_end=local(t + timedelta(days=1))))
    html = r.get_data(as_text=True)
    assert "公告期不足" in html and html.index("公告期不足") < html.index('name="kind"')
    r = client.post("/my/projects/new", data=form_data(registration_end=local(t + timedelta(days=9))))
    assert "时间窗口顺序错误" in r.get_data(as_text=True)
    assert rows(db, select(Project)) == []


def test_staff_reject_with_reason_returns_the_draft_to_its_owner(client, people, db):
    login(client, "village1")
    client.post("/my/projects/new", data=form_data())
    (pid,) = rows(db, select(Project.id))
    client.post(f"/my/projects/{pid}/submit")
    client.post("/logout")
    login(client, "staff1")
    r = client.post(f"/staff/projects/{pid}/reject", data={"reason": ""}, follow_redirects=True)
    assert "退回项目须填写原因" in r.get_data(as_text=True)
    assert rows(db, select(Project.status)) == ["pending_review"]
    client.post(f"/staff/projects/{pid}/reject", data={"reason": "面积与确权证书不符，请核实"})
    assert rows(db, select(Project.status)) == ["draft"]
    client.post("/logout")
    login(client, "village1")
    html = client.get("/my/projects").get_data(as_text=True)
    assert "面积与确权证书不符" in html
    assert "面积与确权证书不符" in client.get(f"/projects/{pid}").get_data(as_text=True)


def test_withdraw_needs_a_reason_and_only_the_owner_may_touch_a_project(client, people, db):
    login(client, "village1")
    client.post("/my/projects/new", data=form_data())
    (pid,) = rows(db, select(Project.id))
    client.post("/logout")
    login(client, "village2")
    assert client.get(f"/my/projects/{pid}/edit").status_code == 403
    assert client.post(f"/my/projects/{pid}/submit").status_code == 403
    assert client.post(f"/my/projects/{pid}/withdraw", data={"reason": "x"}).status_code == 403
    assert client.get(f"/projects/{pid}").status_code == 403
    client.post("/logout")
    login(client, "village1")
    client.post(f"/my/projects/{pid}/withdraw", data={"reason": ""})
    assert rows(db, select(Project.status)) == ["draft"]
    client.post(f"/my/projects/{pid}/withdraw", data={"reason": "村民代表会议决定暂缓流转"})
    assert rows(db, select(Project.status)) == ["withdrawn"]
    r = client.post(f"/my/projects/{pid}/submit", follow_redirects=True)
    assert "不能执行该操作" in r.get_data(as_text=True)
    assert rows(db, select(Project.status)) == ["withdrawn"]


def test_approval_after_bidding_start_passed_is_refused_with_a_message(client, people, db):
    login(client, "village1")
    client.post("/my/projects/new", data=form_data())
    (pid,) = rows(db, select(Project.id))
    client.post(f"/my/projects/{pid}/submit")
    client.post("/logout")
    login(client, "staff1")
    clock.freeze(clock.now() + timedelta(days=7))
    r = client.post(f"/staff/projects/{pid}/approve", follow_redirects=True)
    assert "竞价开始时间必须晚于当前时间" in r.get_data(as_text=True)
    assert rows(db, select(Project.status)) == ["pending_review"]


def test_staff_lists_on_behalf_of_a_collective(client, people, db):
    login(client, "staff1")
    html = client.get("/staff/projects/new").get_data(as_text=True)
    assert "village1" in html and "代为挂牌" in html
    r = client.post("/staff/projects/new", data=form_data(owner=""))
    assert "必填项" in r.get_data(as_text=True)
    assert rows(db, select(Project)) == []
    r = client.post("/staff/projects/new", data=form_data(owner="village2", kind="procurement",
                                                         direction="descending", price_unit="total",
                                                         area_mu="", term_years="", reserve_price="",
                                                         budget="900000", start_price="880000", increment="1000"))
    assert r.status_code == 302, r.get_data(as_text=True)
    (project,) = rows(db, select(Project))
    assert project.owner.username == "village2" and project.code.startswith("GG-")
    assert str(project.budget) == "900000.00"
    html = client.get("/staff/projects").get_data(as_text=True)
    assert project.code in html
    r = client.post(f"/staff/projects/{project.id}/edit", data=form_data(title="改名后的项目"))
    assert r.status_code == 302
    assert rows(db, select(Project.title)) == ["改名后的项目"]


def test_my_projects_lists_only_my_own_with_badges(client, people, api, factory):
    api.post("/api/v1/projects", factory.project_body(title="村集体闲置厂房出租"), user="village1")
    api.post("/api/v1/projects", factory.project_body(title="别村的鱼塘"), user="village2")
    login(client, "village1")
    html = client.get("/my/projects").get_data(as_text=True)
    assert "村集体闲置厂房出租" in html and "别村的鱼塘" not in html
    assert 'badge badge-draft' in html
    assert "没有该状态的项目" in client.get("/my/projects?status=awarded").get_data(as_text=True)


@pytest.mark.parametrize(("seconds", "label"), [
    (432000, "5天"), (129600, "1天12小时"), (9000, "2小时30分钟"), (45, "45秒"), (30, "30秒"),
    (86400 + 5, "1天"), (0, "0秒")])
def test_durations_read_in_words(seconds, label):
    from trading.projects.rules import duration_label

    assert duration_label(seconds) == label


def test_project_form_states_a_short_announcement_period_in_words(client, people, app):
    login(client, "village1")
    app.config["TRADING_MIN_ANNOUNCEMENT_SECONDS"], old = 90, app.config["TRADING_MIN_ANNOUNCEMENT_SECONDS"]
    try:
        html = client.get("/my/projects/new").get_data(as_text=True)
    finally:
        app.config["TRADING_MIN_ANNOUNCEMENT_SECONDS"] = old
    assert "公告期不少于 1分钟30秒" in html and "0 天" not in html
    assert "公告期不少于 5天" in client.get("/my/projects/new").get_data(as_text=True)


def test_window_errors_show_together_with_field_errors(client, people, db):
    """A missing title and a too-short announcement period are both reported on the first submission."""
    login(client, "village1")
    t = clock.now()
    r = client.post("/my/projects/new", data=form_data(title="", bidding_start=local(t + timedelta(days=2)),
                                                       bidding_end=local(t + timedelta(days=2, hours=1)),
                                                       registration_end=local(t + timedelta(days=1))))
    html = r.get_data(as_text=True)
    assert "公告期不足" in html and html.index("公告期不足") < html.index('name="kind"')
    title = html[html.index('id="title"'):html.index('id="location"')]
    assert '<small class="error">必填项</small>' in title  # the field's own message, beside it
    assert rows(db, select(Project)) == []
