"""The application factory: API routers under /api/v1, problem handlers, portal pages."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from sqlalchemy.engine import Engine

import xinyong
from xinyong.access.api import router as access_router
from xinyong.accounts.api import build_router as build_auth_router
from xinyong.catalog.loader import Catalog
from xinyong.checks.api import router as checks_router
from xinyong.commitments.api import router as commitments_router
from xinyong.config import Settings, get_settings
from xinyong.credit_file.api import router as credit_file_router
from xinyong.db import get_engine
from xinyong.http import limits, logmask, problems, security
from xinyong.http.deps import client_address, get_principal, get_session, get_settings_dep
from xinyong.http.ratelimit import RateLimiter
from xinyong.ingest.api import router as ingest_router
from xinyong.lists.api import router as lists_router
from xinyong.objections.api import router as objections_router
from xinyong.portal.routes import router as portal_router
from xinyong.portal.routes import static_files
from xinyong.repair.api import router as repair_router
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.api import router as scoring_router
from xinyong.scoring.lifecycle_api import router as lifecycle_router
from xinyong.sync.api import router as sync_router
from xinyong.wiring.holder import Wiring
from xinyong.workdays.api import router as workdays_router

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    catalog: Catalog | None = None,
    scorecards: Mapping[str, LoadedScorecard] | None = None,
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment); ``scorecards`` join the
    shipped models, replacing any of the same id (published versions still override them)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="xinyong 公共信用信息平台 API",
        version=xinyong.__version__,
        description="公共信用信息平台：信用档案、归集、核查、修复等服务。错误按 RFC 9457 返回中文信息和稳定代码。",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.engine = engine or get_engine(settings)
    # The definitions in force and every setup built from them; handlers get theirs through
    # ``xinyong.http.deps.provide``, which rebuilds them when something new is published.
    app.state.wiring = Wiring.load(settings, app.state.engine, catalog, scorecards=scorecards)
    problems.install(app)
    security.install(app, settings)
    limits.install(app, settings)
    logmask.install()
    _include_routers(app)
    app.mount("/static", static_files(), name="static")
    return app


def _include_routers(app: FastAPI) -> None:
    app.include_router(
        build_auth_router(
            get_session,
            settings_dep=get_settings_dep,
            principal_dep=get_principal,
            client_address=client_address,
        ),
        prefix=API_PREFIX,
    )
    app.include_router(credit_file_router, prefix=API_PREFIX)
    app.include_router(ingest_router, prefix=API_PREFIX)
    app.include_router(scoring_router, prefix=API_PREFIX)
    app.include_router(lifecycle_router, prefix=API_PREFIX)
    app.include_router(lists_router, prefix=API_PREFIX)
    app.include_router(access_router, prefix=API_PREFIX)
    app.include_router(checks_router, prefix=API_PREFIX)
    app.include_router(repair_router, prefix=API_PREFIX)
    app.include_router(objections_router, prefix=API_PREFIX)
    app.include_router(commitments_router, prefix=API_PREFIX)
    app.include_router(sync_router, prefix=API_PREFIX)
    app.include_router(workdays_router, prefix=API_PREFIX)
    app.include_router(portal_router)
