"""Pages: login/logout/lock-out, bidder registration, password change, staff accounts, CSRF."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trading import clock
from trading.credit import make_resident_id, make_uscc
from trading.models import AuditEntry, Organisation, User


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def count(db, model):
    """Read, then end the transaction: on SQLite an open one would hold the write lock the pages need."""
    try:
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        db.session.rollback()


def test_login_redirects_to_the_role_home_and_logout_needs_post(client, factory):
    factory.user("collective", "village1")
    r = login(client, "village1")
    assert r.status_code == 302 and r.headers["Location"].endswith("/my/projects")
    assert "我的项目" in client.get("/my/projects").get_data(as_text=True)
    assert client.get("/logout").status_code == 405
    r = client.post("/logout", follow_redirects=True)
    assert "您已安全退出" in r.get_data(as_text=True)
    assert client.get("/my/projects").status_code == 302  # back to the login page


def test_login_follows_only_local_next(client, factory):
    factory.user("bidder", "coop1")
    r = client.post("/login?next=https://evil.example/x", data={"username": "coop1", "password": PASSWORD})
    assert r.headers["Location"] == "/"
    client.post("/logout")
    r = client.post("/login?next=/projects", data={"username": "coop1", "password": PASSWORD})
    assert r.headers["Location"] == "/projects"


def test_failed_logins_are_counted_and_lock_the_account(client, factory, app, db):
    factory.user("bidder", "coop2")
    r = login(client, "coop2", "wrong-pass1")
    assert r.status_code == 200 and "用户名或密码错误" in r.get_data(as_text=True)
    assert db.session.execute(select(User.failed_logins).where(User.username == "coop2")).scalar_one() == 1
    db.session.rollback()
    for _ in range(app.config["TRADING_MAX_FAILED_LOGINS"] - 1):
        login(client, "coop2", "wrong-pass1")
    r = login(client, "coop2")  # the right password no longer opens the locked account, which says no more
    assert r.status_code == 200 and "用户名或密码错误" in r.get_data(as_text=True)
    assert db.session.execute(select(User.locked_until).where(User.username == "coop2")).scalar_one() is not None
    db.session.rollback()
    clock.freeze(clock.now() + timedelta(seconds=app.config["TRADING_LOCKOUT_SECONDS"] + 1))
    assert login(client, "coop2").status_code == 302


def registration(**over):
    data = {"username": "farm1", "password": "abc12345", "password2": "abc12345", "display_name": "覃海",
            "phone": "13907721234", "org_name": "鹿寨县丰收种养专业合作社", "org_kind": "cooperative",
            "credit_code": make_uscc(4242)}
    data.update(over)
    return data


def test_registration_with_a_bad_credit_code_shows_the_message_and_stores_nothing(client, db):
    bad = make_uscc(4242)[:-1] + ("0" if make_uscc(4242)[-1] != "0" else "1")
    r = client.post("/register", data=registration(credit_code=bad))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "统一社会信用代码无效" in html and 'class="field full has-error"' in html
    assert count(db, User) == 0 and count(db, Organisation) == 0 and count(db, AuditEntry) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "2390772123", "11位中国大陆手机号码"),
    ("password", "abcdefgh", "密码须同时包含字母和数字"),
    ("password2", "other1234", "两次输入的密码不一致"),
    ("credit_code", "", "请填写统一社会信用代码"),
])
def test_registration_field_rules(client, db, field, value, message):
    data = registration(**{field: value})
    if field == "password":
        data["password2"] = value
    r = client.post("/register", data=data)
    assert message in r.get_data(as_text=True)
    assert count(db, User) == 0


def test_bidder_registers_and_is_logged_in(client, db):
    r = client.post("/register", data=registration())
    assert r.status_code == 302
    user = db.session.execute(select(User).where(User.username == "farm1")).scalar_one()
    assert user.role == "bidder" and user.phone == "13907721234" and user.org.kind == "cooperative"
    assert user.org.credit_code == make_uscc(4242)
    name = user.org.name
    db.session.rollback()
    assert name in client.get("/").get_data(as_text=True)  # shown in the top bar


def test_individual_registers_with_a_resident_id_and_duplicates_are_refused(client, db):
    rid = make_resident_id(17)
    assert client.post("/register", data=registration(org_kind="individual", org_name="覃氏家庭农场",
                                                      credit_code=rid)).status_code == 302
    client.post("/logout")
    r = client.post("/register", data=registration(org_kind="individual", credit_code=make_uscc(1)))
    assert "身份证号码无效" in r.get_data(as_text=True)
    r = client.post("/register", data=registration(username="farm2", org_kind="individual", credit_code=rid))
    assert "已登记" in r.get_data(as_text=True)
    r = client.post("/register", data=registration(credit_code=make_uscc(77)))
    assert "已存在" in r.get_data(as_text=True)
    assert count(db, User) == 1 and count(db, Organisation) == 1


def test_password_change(client, factory):
    factory.user("bidder", "coop3")
    assert client.get("/password").status_code == 302
    login(client, "coop3")
    r = client.post("/password", data={"old_password": "nope12345", "new_password": "newpass123",
                                       "new_password2": "newpass123"})
    assert "原密码不正确" in r.get_data(as_text=True)
    r = client.post("/password", data={"old_password": PASSWORD, "new_password": "short",
                                       "new_password2": "short"})
    assert "密码至少需要8位" in r.get_data(as_text=True)
    r = client.post("/password", data={"old_password": PASSWORD, "new_password": "newpass123",
                                       "new_password2": "newpass123"})
    assert r.status_code == 302
    client.post("/logout")
    assert login(client, "coop3").status_code == 200  # the old password is refused
    assert login(client, "coop3", "newpass123").status_code == 302


def test_staff_create_collective_and_staff_accounts(client, factory, db):
    factory.user("staff", "staff1")
    login(client, "staff1")
    r = client.post("/staff/accounts/new", data={
        "role": "collective", "username": "longtian", "password": "abc12345", "display_name": "韦主任",
        "phone": "13800138000", "org_name": "寨沙镇龙田村股份经济合作社", "org_kind": "village_collective",
        "town": "寨沙镇", "credit_code": "N2450223MF0000000X"})
    assert r.status_code == 200 and "统一社会信用代码无效" in r.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.username == "longtian")).first() is None
    db.session.rollback()
    r = client.post("/staff/accounts/new", data={
        "role": "collective", "username": "longtian", "password": "abc12345", "display_name": "韦主任",
        "phone": "13800138000", "org_name": "寨沙镇龙田村股份经济合作社", "org_kind": "village_collective",
        "town": "寨沙镇", "credit_code": ""})
    assert r.status_code == 302
    user = db.session.execute(select(User).where(User.username == "longtian")).scalar_one()
    assert user.role == "collective" and user.org.kind == "village_collective" and user.org.town == "寨沙镇"
    db.session.rollback()
    r = client.post("/staff/accounts/new", data={
        "role": "staff", "username": "staff2", "password": "abc12345", "display_name": "李工",
        "org_name": "鹿寨县公共资源交易中心", "org_kind": "village_collective"})
    assert "组织类型须为“交易中心”" in r.get_data(as_text=True)
    r = client.post("/staff/accounts/new", data={
        "role": "staff", "username": "staff2", "password": "abc12345", "display_name": "李工",
        "org_name": "鹿寨县公共资源交易中心", "org_kind": "center"})
    assert r.status_code == 302
    client.post("/logout")
    assert login(client, "longtian", "abc12345").headers["Location"].endswith("/my/projects")


def test_only_staff_may_create_accounts(client, factory, db):
    factory.user("collective", "village1")
    login(client, "village1")
    r = client.post("/staff/accounts/new", data={"role": "staff", "username": "sneaky", "password": "abc12345",
                                                  "display_name": "x", "org_name": "交易中心", "org_kind": "center"})
    assert r.status_code == 403
    assert db.session.execute(select(User).where(User.username == "sneaky")).first() is None


def test_staff_user_list_search_and_pagination(client, factory, monkeypatch):
    import trading.staff_views as sv

    monkeypatch.setattr(sv, "PER_PAGE", 2)
    factory.user("staff", "staff1")
    for i in range(4):
        factory.user("bidder", f"coop{i}", org_name=f"合作社{i}")
    factory.user("collective", "village9", org_name="龙田村股份经济合作社")
    login(client, "staff1")
    html = client.get("/staff/users").get_data(as_text=True)
    assert "共 6 个账户" in html and "下一页" in html
    page3 = client.get("/staff/users?page=3").get_data(as_text=True)
    assert page3.count("<tr>") == 1 + 2
    html = client.get("/staff/users?q=龙田").get_data(as_text=True)
    assert "village9" in html and "coop1" not in html
    html = client.get("/staff/users?role=bidder").get_data(as_text=True)
    assert "共 4 个账户" in html


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_a_form_post_without_csrf_token_is_refused_and_changes_nothing(csrf_on, client, factory, db):
    r = client.post("/register", data=registration())
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert count(db, User) == 0
    factory.user("collective", "village1")
    r = client.post("/login", data={"username": "village1", "password": PASSWORD})
    assert r.status_code == 400
    # with the token from the form the same login works
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "village1", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    before = count(db, AuditEntry)
    r = client.post("/my/projects/new", data={"kind": "rural_land", "title": "耕地经营权出租"})
    assert r.status_code == 400
    r = client.post("/logout")
    assert r.status_code == 400
    assert count(db, AuditEntry) == before
    from trading.models import Project

    assert count(db, Project) == 0
