"""Request dependencies: one transaction per request, the caller, settings and catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import session_factory
from xinyong.errors import XinyongError
from xinyong.http.ratelimit import RateLimiter
from xinyong.kit import clock


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the handler returns, roll back on any exception (before the response)."""
    session = session_factory(request.app.state.engine)()
    try:
        yield session
        session.commit()
    except XinyongError as exc:
        if exc.keep_work:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The caller from ``Authorization: Bearer …`` or ``X-API-Key``; anonymous without either.

    Counts the request against the caller's rate limit: 429 ``rate_limited`` with
    ``Retry-After`` once it is spent (see ``xinyong.http.ratelimit``).
    """
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    principal = accounts.resolve_principal(
        session,
        bearer=bearer,
        api_key=request.headers.get("x-api-key"),
        secret=settings.secret_key.get_secret_value(),
        now=clock.now(),
    )
    # Apps assembled without create_app (a router mounted alone) have no limiter.
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(principal, client_host=request.client.host if request.client else None)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
