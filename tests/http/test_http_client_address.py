"""Who the client is: X-Forwarded-For is believed only from the trusted proxies listed, and
failed authentications are limited per client address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

import xinyong.cli
import xinyong.db
from factories.accounts import make_api_key
from xinyong.config import Settings, get_settings
from xinyong.http.deps import get_session
from xinyong.http.ratelimit import RateLimiter, TooManyAuthFailures, client_address
from xinyong.web.app import create_app

ME = "/api/v1/auth/me"
PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("192.168.1.7")]


def test_without_trusted_proxies_the_connecting_address_is_the_client():
    assert client_address("10.0.0.5", "203.0.113.9", []) == "10.0.0.5"
    assert client_address("127.0.0.1", "203.0.113.9", []) == "127.0.0.1"


def test_a_trusted_proxy_gives_the_right_most_untrusted_hop():
    # The client claims 1.1.1.1; the outer proxy 192.168.1.7 saw 203.0.113.9.
    forwarded = "1.1.1.1, 203.0.113.9, 192.168.1.7"
    assert client_address("10.0.0.5", forwarded, PROXIES) == "203.0.113.9"


def test_a_peer_that_is_not_a_trusted_proxy_is_believed_over_its_header():
    assert client_address("198.51.100.4", "1.1.1.1", PROXIES) == "198.51.100.4"


def test_only_trusted_hops_or_no_header_give_the_last_trusted_address():
    assert client_address("10.0.0.5", None, PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", "192.168.1.7", PROXIES) == "192.168.1.7"


def test_a_malformed_hop_stops_at_the_last_trusted_address():
    assert client_address("10.0.0.5", "203.0.113.9, not-an-ip", PROXIES) == "10.0.0.5"


def test_trusted_proxies_setting_takes_a_comma_separated_list_and_refuses_nonsense():
    settings = Settings(trusted_proxies="10.0.0.0/24, 192.168.1.7")
    assert settings.trusted_proxy_networks == tuple(PROXIES)
    assert Settings().trusted_proxies == []
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="proxy.example")


def _app(session, engine, tmp_path, **settings) -> FastAPI:
    app = create_app(
        Settings(data_dir=tmp_path, secret_key="test-secret", **settings), engine=engine
    )

    def session_dep() -> Iterator:
        yield session

    app.dependency_overrides[get_session] = session_dep
    return app


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(session, engine, tmp_path):
    app = _app(session, engine, tmp_path, anonymous_rate_limit_per_minute=2)
    client = TestClient(app, client=("10.0.0.5", 1000))
    # Changing the claimed address each time does not buy a fresh allowance.
    codes = [
        client.get(ME, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(session, engine, tmp_path):
    app = _app(
        session, engine, tmp_path, anonymous_rate_limit_per_minute=1, trusted_proxies="10.0.0.5"
    )
    proxy = TestClient(app, client=("10.0.0.5", 1000))
    first = {"X-Forwarded-For": "203.0.113.1"}
    assert proxy.get(ME, headers=first).status_code == 200
    assert proxy.get(ME, headers=first).status_code == 429
    assert proxy.get(ME, headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 200


def test_invalid_tokens_and_keys_are_limited_per_address(session, engine, tmp_path):
    plain, _ = make_api_key(session, secret="test-secret")
    app = _app(session, engine, tmp_path, failed_auth_per_minute=3)
    guesser = TestClient(app, client=("10.0.0.8", 1000))
    wrong = [
        guesser.get(ME, headers={"Authorization": "Bearer guess-1"}),
        guesser.get(ME, headers={"X-API-Key": "xy_guess"}),
        guesser.get(ME, headers={"Authorization": "Bearer guess-2"}),
        guesser.get(ME, headers={"X-API-Key": "xy_guess-2"}),
    ]
    assert [r.status_code for r in wrong] == [401, 401, 401, 429]
    limited = wrong[-1]
    assert limited.json()["code"] == "auth.too_many_failures"
    assert int(limited.headers["retry-after"]) >= 1
    # A valid key from the same address still works; other addresses are not affected.
    assert guesser.get(ME, headers={"X-API-Key": plain}).status_code == 200
    other = TestClient(app, client=("10.0.0.9", 1000))
    assert other.get(ME, headers={"X-API-Key": "xy_guess"}).status_code == 401


def test_failed_authentication_limit_is_off_with_rate_limits():
    limiter = RateLimiter(failed_auth_per_minute=1, enabled=False)
    for _ in range(5):
        limiter.count_failed_auth(client_host="10.0.0.1")
    limiter = RateLimiter(failed_auth_per_minute=1)
    limiter.count_failed_auth(client_host="10.0.0.1")
    with pytest.raises(TooManyAuthFailures):
        limiter.count_failed_auth(client_host="10.0.0.1")


def test_serve_leaves_forwarded_headers_to_xinyong(databases, tmp_path, monkeypatch):
    """uvicorn would otherwise believe X-Forwarded-For from any local process."""
    engine = databases.migrated_engine("sqlite")
    url = engine.url.render_as_string(hide_password=False)
    calls: list[dict] = []

    class Served:
        """Stands for uvicorn's server on the socket ``serve`` claimed: nothing is served."""

        started = True

        def __init__(self, config: object) -> None:
            pass

        def run(self, sockets: object = None) -> None:
            pass

    monkeypatch.setattr(xinyong.cli.uvicorn, "run", lambda *a, **kw: calls.append(kw))
    monkeypatch.setattr(xinyong.cli.uvicorn, "Config", lambda *a, **kw: calls.append(kw))
    monkeypatch.setattr(xinyong.cli.uvicorn, "Server", Served)
    env = {
        "XINYONG_DATABASE_URL": url,
        "XINYONG_DATA_DIR": str(tmp_path),
        "XINYONG_SECRET_KEY": "k",
    }
    get_settings.cache_clear()
    try:
        for args in (["serve", "--port", "0"], ["serve", "--port", "0", "--workers", "2"]):
            result = CliRunner().invoke(xinyong.cli.app, args, env=env)
            assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
        cached = xinyong.db._engines.pop(url, None)
        if cached is not None:
            cached.dispose()
    assert [kw["proxy_headers"] for kw in calls] == [False, False]
