"""Schemathesis over the whole published OpenAPI: whatever the input, never a 5xx.

Each backend gets its own throwaway database seeded with a department, an admin, a system key
and a few pushed records, so fuzzed requests that name a real subject code reach the deep paths
(credit file, scores, lists) and write requests may change data freely. Examples are bounded
and derandomized so a run is reproducible and short.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from factories.records import PERSON_ID, USCC, penalty_row, person_penalty_row, push
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.config import Settings
from xinyong.db import make_engine, unit_of_work
from xinyong.kit import clock
from xinyong.migrations import upgrade
from xinyong.web.app import create_app

OPENAPI = "/api/v1/openapi.json"
SOURCE = "330106-FUZZ"
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"
# Codes of seeded subjects (and one unknown but well-formed USCC) substituted into {code}.
REAL_CODES = [USCC, PERSON_ID, "91330106MA2000087X"]
FUZZ = settings(
    max_examples=int(os.environ.get("XINYONG_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(request, databases, tmp_path_factory) -> FastAPI:
    """The app on a fresh seeded database; ``app.state.fuzz_headers`` authenticates an admin."""
    engine = databases.migrated_engine(request.param)
    now = clock.now()
    with unit_of_work(engine) as s:
        accounts.create_department(
            s, code=SOURCE, name="杭州市西湖区市场监督管理局", sector="market_regulation", now=now
        )
        admin = accounts.create_user(
            s, username="admin", password=PASSWORD, role=Role.ADMIN, now=now
        )
        token, _ = accounts.issue_token(s, user=admin, now=now, ttl=timedelta(days=1))
        push(
            s,
            SOURCE,
            [
                penalty_row(CF_WSH="西市监罚〔2026〕1号"),
                penalty_row(CF_WSH="西市监罚〔2026〕2号", CF_NR_FK="50"),
                person_penalty_row(CF_WSH="西市监罚〔2026〕3号"),
            ],
        )
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp(f"fuzz-{request.param}"), secret_key=SECRET
    )
    app = create_app(settings_, engine=engine)
    app.state.fuzz_headers = {"Authorization": f"Bearer {token}"}
    return app


def _published_spec() -> dict:
    """The OpenAPI document, read at collection from an app on an in-memory database (the
    document does not depend on the data; ``schemathesis.pytest.from_fixture`` would defer
    this but does not run under pytest 9.2)."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    app = create_app(
        Settings(data_dir=Path(tempfile.gettempdir()), secret_key=SECRET), engine=engine
    )
    spec = app.openapi()
    engine.dispose()
    return spec


schema = schemathesis.openapi.from_dict(_published_spec())
# Operations that end the fuzzing admin's own session (logout, revoking its tokens, changing
# its password, deactivating accounts) would leave the rest of the run unauthenticated: the
# admin's run skips them; the anonymous run still calls them.
ADMIN_SCHEMA = schema.exclude(
    path_regex=r"^/api/v1/(auth/(logout|tokens/revoke|password)|users/[^/]+/deactivate)$"
)


def _use_real_code(case, real_code: str | None) -> None:
    if real_code is not None and case.path_parameters and "code" in case.path_parameters:
        case.path_parameters["code"] = real_code


@ADMIN_SCHEMA.parametrize()
@ADMIN_SCHEMA.given(real_code=st.none() | st.sampled_from(REAL_CODES))
@FUZZ
def test_admin_never_gets_a_server_error(case, real_code, fuzz_app):
    _use_real_code(case, real_code)
    response = case.call(app=fuzz_app, headers=fuzz_app.state.fuzz_headers)
    case.validate_response(response, checks=[not_a_server_error])


@schema.parametrize()
@schema.given(real_code=st.none() | st.sampled_from(REAL_CODES))
@FUZZ
def test_anonymous_never_gets_a_server_error(case, real_code, fuzz_app):
    _use_real_code(case, real_code)
    response = case.call(app=fuzz_app)
    case.validate_response(response, checks=[not_a_server_error])
