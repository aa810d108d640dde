"""Per-caller rate limits: the GCRA limiter on a fake clock, and 429 + Retry-After end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import xinyong.db
from factories.accounts import make_api_key, make_user
from xinyong.accounts import service as accounts
from xinyong.accounts.cli import keys_app
from xinyong.accounts.errors import FieldInvalid
from xinyong.accounts.models import ApiKey, Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.config import Settings, get_settings
from xinyong.db import make_engine, session_factory
from xinyong.errors import RateLimited
from xinyong.http.deps import get_session
from xinyong.http.problems import problem_responses
from xinyong.http.ratelimit import RateLimiter, TooManyPersonLookups
from xinyong.migrations import upgrade
from xinyong.web.app import create_app

ME = "/api/v1/auth/me"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _key(key_id: int, limit: int | None = None) -> Principal:
    return Principal("key", key_id, None, None, None, "密钥", rate_limit_per_minute=limit)


# The limiter alone ------------------------------------------------------------------------


def test_limit_n_allows_n_then_asks_to_wait_one_interval():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert [limiter.hit("key:1", 6) for _ in range(6)] == [0] * 6
    # One request refills every 60 / 6 = 10 seconds.
    assert limiter.hit("key:1", 6) == 10


def test_tokens_refill_with_time():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(6):
        limiter.hit("key:1", 6)
    clock.advance(9.5)
    assert limiter.hit("key:1", 6) == 1  # half a second left, rounded up to a whole second
    clock.advance(0.5)
    assert limiter.hit("key:1", 6) == 0
    assert limiter.hit("key:1", 6) == 10
    clock.advance(60)
    assert [limiter.hit("key:1", 6) for _ in range(6)] == [0] * 6
    assert limiter.hit("key:1", 6) > 0


def test_refused_requests_do_not_push_the_caller_back():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limiter.hit("key:1", 1)
    assert [limiter.hit("key:1", 1) for _ in range(5)] == [60] * 5
    clock.advance(60)
    assert limiter.hit("key:1", 1) == 0


def test_callers_are_counted_separately():
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.hit("key:1", 1) == 0
    assert limiter.hit("key:1", 1) > 0
    assert limiter.hit("key:2", 1) == 0


def test_zero_limit_is_unlimited():
    limiter = RateLimiter(clock=FakeClock())
    assert all(limiter.hit("key:1", 0) == 0 for _ in range(10_000))
    assert len(limiter) == 0


def test_full_buckets_are_forgotten_and_the_table_is_capped():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, max_callers=100)
    for i in range(50):
        limiter.hit(f"ip:{i}", 60)
    assert len(limiter) == 50
    clock.advance(1.0)  # every bucket is full again after one interval
    limiter.hit("ip:new", 60)
    assert len(limiter) == 1
    for i in range(500):
        limiter.hit(f"ip:{i}", 60)
    assert len(limiter) == 100


def test_identity_and_limit_per_kind_of_caller():
    limiter = RateLimiter(per_minute=1200, anonymous_per_minute=300)
    user = Principal("user", 7, None, None, None, "用户")
    assert limiter.identity_and_limit(_key(5), client_host="1.2.3.4") == ("key:5", 1200)
    assert limiter.identity_and_limit(_key(5, 30), client_host="1.2.3.4") == ("key:5", 30)
    assert limiter.identity_and_limit(_key(5, 0), client_host="1.2.3.4") == ("key:5", 0)
    assert limiter.identity_and_limit(user, client_host="1.2.3.4") == ("user:7", 1200)
    assert limiter.identity_and_limit(ANONYMOUS, client_host="1.2.3.4") == ("ip:1.2.3.4", 300)
    assert limiter.identity_and_limit(ANONYMOUS, client_host=None) == ("ip:unknown", 300)


def test_check_raises_rate_limited_with_retry_after():
    limiter = RateLimiter(clock=FakeClock())
    limiter.check(_key(1, 2), client_host=None)
    limiter.check(_key(1, 2), client_host=None)
    with pytest.raises(RateLimited) as exc:
        limiter.check(_key(1, 2), client_host=None)
    err = exc.value
    assert (err.status, err.code, err.retry_after) == (429, "rate_limited", 30)
    assert err.headers == {"Retry-After": "30"}
    assert "2" in (err.detail or "")


def test_disabled_limiter_never_refuses():
    limiter = RateLimiter(enabled=False, clock=FakeClock())
    for _ in range(10):
        limiter.check(_key(1, 1), client_host=None)


def test_problem_responses_declares_429_with_retry_after():
    entry = problem_responses(429)[429]
    assert "Retry-After" in entry["headers"]


# End to end ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _app(session, engine, tmp_path, clock: FakeClock | None = None, **settings) -> FastAPI:
    app = create_app(
        Settings(data_dir=tmp_path, secret_key="test-secret", **settings), engine=engine
    )

    def session_dep() -> Iterator:
        yield session

    app.dependency_overrides[get_session] = session_dep
    if clock is not None:
        app.state.rate_limiter = RateLimiter(
            per_minute=app.state.settings.rate_limit_per_minute,
            anonymous_per_minute=app.state.settings.anonymous_rate_limit_per_minute,
            clock=clock,
        )
    return app


def _assert_limited(resp, *, retry_after: int) -> None:
    assert resp.status_code == 429, resp.text
    assert resp.headers["retry-after"] == str(retry_after)
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert (body["status"], body["code"]) == (429, "rate_limited")
    assert body["title"] == "请求过于频繁，请稍后再试"


def test_key_gets_its_limit_then_429_and_refills(session, engine, tmp_path, clock):
    plain, key = make_api_key(session, rate_limit_per_minute=3)
    client = TestClient(_app(session, engine, tmp_path, clock))
    headers = {"X-API-Key": plain}
    for _ in range(3):
        resp = client.get(ME, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["id"] == key.id
    _assert_limited(client.get(ME, headers=headers), retry_after=20)
    clock.advance(20)
    assert client.get(ME, headers=headers).status_code == 200
    assert client.get(ME, headers=headers).status_code == 429


def test_two_keys_are_limited_separately(session, engine, tmp_path, clock):
    first, _ = make_api_key(session, rate_limit_per_minute=1)
    second, _ = make_api_key(session, rate_limit_per_minute=1)
    client = TestClient(_app(session, engine, tmp_path, clock))
    assert client.get(ME, headers={"X-API-Key": first}).status_code == 200
    assert client.get(ME, headers={"X-API-Key": first}).status_code == 429
    assert client.get(ME, headers={"X-API-Key": second}).status_code == 200


def test_key_without_own_limit_uses_the_default(session, engine, tmp_path, clock):
    plain, _ = make_api_key(session)
    client = TestClient(_app(session, engine, tmp_path, clock, rate_limit_per_minute=2))
    assert [client.get(ME, headers={"X-API-Key": plain}).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_unlimited_key_is_never_limited(session, engine, tmp_path, clock):
    plain, _ = make_api_key(session, rate_limit_per_minute=0)
    client = TestClient(_app(session, engine, tmp_path, clock, rate_limit_per_minute=1))
    assert all(client.get(ME, headers={"X-API-Key": plain}).status_code == 200 for _ in range(20))


def test_user_is_limited_by_account(session, engine, tmp_path, clock):
    user = make_user(session)
    token, _ = accounts.issue_token(
        session, user=user, now=datetime.now(UTC), ttl=timedelta(hours=1)
    )
    app = _app(session, engine, tmp_path, clock, rate_limit_per_minute=2)
    headers = {"Authorization": f"Bearer {token}"}
    # The same account from two addresses shares one allowance.
    a = TestClient(app, client=("10.0.0.1", 1000))
    b = TestClient(app, client=("10.0.0.2", 1000))
    assert a.get(ME, headers=headers).status_code == 200
    assert b.get(ME, headers=headers).status_code == 200
    _assert_limited(a.get(ME, headers=headers), retry_after=30)


def test_anonymous_callers_are_limited_by_address(session, engine, tmp_path, clock):
    app = _app(session, engine, tmp_path, clock, anonymous_rate_limit_per_minute=2)
    a = TestClient(app, client=("10.0.0.1", 1000))
    b = TestClient(app, client=("10.0.0.2", 1000))
    assert [a.get(ME).status_code for _ in range(2)] == [200, 200]
    _assert_limited(a.get(ME), retry_after=30)
    assert b.get(ME).status_code == 200


def test_create_app_limits_from_settings(session, engine, tmp_path):
    app = _app(session, engine, tmp_path, anonymous_rate_limit_per_minute=1)
    client = TestClient(app)
    assert client.get(ME).status_code == 200
    resp = client.get(ME)
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) >= 1


def test_disabled_in_settings(session, engine, tmp_path):
    app = _app(
        session,
        engine,
        tmp_path,
        anonymous_rate_limit_per_minute=1,
        rate_limits_enabled=False,
    )
    client = TestClient(app)
    assert all(client.get(ME).status_code == 200 for _ in range(5))


def test_api_key_stores_its_limit(session):
    _, key = make_api_key(session, rate_limit_per_minute=90)
    assert key.rate_limit_per_minute == 90
    _, default = make_api_key(session)
    assert default.rate_limit_per_minute is None


def test_negative_key_limit_is_refused(session):
    with pytest.raises(FieldInvalid) as exc:
        make_api_key(session, rate_limit_per_minute=-1)
    assert (exc.value.status, exc.value.code) == (422, "accounts.invalid_rate_limit")
    assert exc.value.errors[0].field == "rate_limit_per_minute"


# CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Engine]]:
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    engine = make_engine(url)
    upgrade(engine)
    get_settings.cache_clear()
    yield {"XINYONG_DATABASE_URL": url, "XINYONG_DATA_DIR": str(tmp_path)}, engine
    get_settings.cache_clear()
    cached = xinyong.db._engines.pop(url, None)
    if cached is not None:
        cached.dispose()
    engine.dispose()


def _create_key(env: dict[str, str], *args: str):
    get_settings.cache_clear()
    return CliRunner().invoke(
        keys_app, ["create", "--name", "同步", "--role", "system", *args], env=env
    )


def test_cli_creates_key_with_rate_limit(cli_env):
    env, engine = cli_env
    r = _create_key(env, "--rate-limit", "600", "--json")
    assert r.exit_code == 0, r.output
    r_unlimited = _create_key(env, "--rate-limit", "0")
    assert r_unlimited.exit_code == 0, r_unlimited.output
    assert "不限" in r_unlimited.stdout
    with session_factory(engine)() as s:
        assert s.get(ApiKey, json.loads(r.stdout)["id"]).rate_limit_per_minute == 600
        assert s.scalars(select(ApiKey.rate_limit_per_minute).order_by(ApiKey.id)).all() == [
            600,
            0,
        ]


def test_cli_refuses_negative_rate_limit(cli_env):
    env, engine = cli_env
    r = _create_key(env, "--rate-limit", "-5")
    assert r.exit_code == 1
    assert "accounts.invalid_rate_limit" in r.output
    with session_factory(engine)() as s:
        assert s.scalars(select(ApiKey.id)).all() == []


# Person look-ups: an hour's small budget (issue 9 item 14) --------------------------------


def test_anonymous_person_lookups_have_a_small_hourly_budget_per_address():
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, person_lookups_per_hour=3)
    for _ in range(3):
        limiter.count_person_lookup(ANONYMOUS, client_host="10.0.0.9")
    with pytest.raises(TooManyPersonLookups) as spent:
        limiter.count_person_lookup(ANONYMOUS, client_host="10.0.0.9")
    assert spent.value.status == 429
    assert spent.value.code == "rate_limited.person_lookups"
    assert int(spent.value.headers["Retry-After"]) == 1200  # one look-up back every 20 minutes
    limiter.count_person_lookup(ANONYMOUS, client_host="10.0.0.10")  # another address
    clock.advance(1200)
    limiter.count_person_lookup(ANONYMOUS, client_host="10.0.0.9")


def test_accounts_outside_government_are_counted_per_account_and_staff_not_at_all():
    limiter = RateLimiter(clock=FakeClock(), person_lookups_per_hour=1)
    enterprise = Principal("user", 7, Role.ENTERPRISE, None, 1, "企业")
    officer = Principal("user", 8, Role.DEPARTMENT, "330100-SCJG", None, "部门")
    limiter.count_person_lookup(enterprise, client_host="10.0.0.1")
    with pytest.raises(TooManyPersonLookups):
        limiter.count_person_lookup(enterprise, client_host="10.0.0.2")
    for _ in range(50):
        limiter.count_person_lookup(officer, client_host="10.0.0.1")


def test_only_person_codes_spend_the_budget(databases, tmp_path):
    engine = databases.migrated_engine("sqlite")
    settings = Settings(data_dir=tmp_path, secret_key="test-secret", person_lookups_per_hour=1)
    client = TestClient(create_app(settings, engine=engine))
    for _ in range(3):  # an organisation's code is public: no budget spent
        assert client.get("/api/v1/subjects/91330106MA2000086A/file").status_code == 404
    person = "/api/v1/subjects/11010519491231002X/file"
    assert client.get(person, params={"name": "张三"}).status_code == 404
    refused = client.get(person, params={"name": "张三"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited.person_lookups"
