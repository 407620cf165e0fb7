"""A second app in the same process (the scheduler CLI, the tests) must not add oversight's links again."""

from __future__ import annotations

from trading import create_app, navigation


def test_a_second_app_does_not_repeat_the_credit_link(app, client, tmp_path):
    before = list(navigation.PROVIDERS)
    create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "TRADING_KEYS_DIR")},
                "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    assert navigation.PROVIDERS == before
    page = client.get("/").get_data(as_text=True)
    assert page.count(">信用名单<") == 1
