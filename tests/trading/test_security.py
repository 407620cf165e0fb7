from trading import create_app


def test_security_headers_on_pages_and_api(client):
    for url in ("/", "/api/v1/projects"):
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"]


def test_token_endpoint_is_rate_limited_with_a_chinese_429(app, client):
    app.config["RATELIMIT_ENABLED"] = True  # the test config turns limits off for every other test
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"}).status_code
                 for _ in range(35)]
        assert codes[0] == 401 and codes[-1] == 429
        body = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"}).get_json()
        assert body["error"]["code"] == "rate_limited" and "频繁" in body["error"]["message"]
    finally:
        app.config["RATELIMIT_ENABLED"] = False


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    import pytest

    from trading.config import ConfigError

    monkeypatch.setenv("TRADING_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_development_key_is_generated_once_into_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADING_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from trading.config import load_config

    k1 = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    k2 = load_config({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert k1 == k2 and len(k1) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
