"""The application factory: API routers under /api/v1, problem handlers, portal pages."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

import xinyong
from xinyong.accounts.api import build_router as build_auth_router
from xinyong.catalog.loader import Catalog, default_catalog
from xinyong.config import Settings, get_settings
from xinyong.db import get_engine, unit_of_work
from xinyong.files.api import router as files_router
from xinyong.http import logmask, problems
from xinyong.http.deps import get_principal, get_session, get_settings_dep
from xinyong.ingest.api import router as ingest_router
from xinyong.kit import clock
from xinyong.lists.api import router as lists_router
from xinyong.lists.definitions import load_definitions
from xinyong.portal.routes import router as portal_router
from xinyong.portal.routes import static_files
from xinyong.records.api import router as records_router
from xinyong.rules.loader import load_all
from xinyong.scoring.api import router as scoring_router
from xinyong.scoring.lifecycle import published_scorecards
from xinyong.scoring.lifecycle_api import router as lifecycle_router

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    catalog: Catalog | None = None,
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
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
    app.state.engine = engine or get_engine(settings)
    app.state.catalog = catalog or default_catalog()
    with unit_of_work(app.state.engine) as session:
        # Shipped models, overridden by newer versions an admin published.
        app.state.scorecards = published_scorecards(
            session, app.state.catalog, load_all(app.state.catalog)
        )
    app.state.lists = load_definitions(app.state.catalog)
    problems.install(app)
    logmask.install()
    app.include_router(
        build_auth_router(
            get_session,
            settings_dep=get_settings_dep,
            principal_dep=get_principal,
            clock=clock.now,
        ),
        prefix=API_PREFIX,
    )
    app.include_router(records_router, prefix=API_PREFIX)
    app.include_router(ingest_router, prefix=API_PREFIX)
    app.include_router(scoring_router, prefix=API_PREFIX)
    app.include_router(lifecycle_router, prefix=API_PREFIX)
    app.include_router(lists_router, prefix=API_PREFIX)
    app.include_router(files_router, prefix=API_PREFIX)
    app.include_router(portal_router)
    app.mount("/static", static_files(), name="static")
    return app
