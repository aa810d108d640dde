"""Request dependencies: one transaction per request, the caller, settings, and the definitions
in force with every setup built from them (``provide``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.accounts import service as accounts
from xinyong.accounts.api import bearer_token
from xinyong.accounts.principal import Principal
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import session_factory
from xinyong.errors import Unauthorized, XinyongError
from xinyong.http.ratelimit import RateLimiter
from xinyong.http.ratelimit import client_address as resolve_client
from xinyong.kit import clock
from xinyong.kit.identifiers import names_a_person
from xinyong.kit.wiring import Wired, WiringSource

T = TypeVar("T")


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_engine_dep(request: Request) -> Engine:
    return request.app.state.engine


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the handler returns, roll back on any exception (before the response),
    except a refusal that keeps its changes (``XinyongError.keep_changes``: a failed login's
    count and audit row), which commits what was flushed and is then answered."""
    session = session_factory(request.app.state.engine)()
    try:
        yield session
        session.commit()
    except XinyongError as exc:
        if exc.keep_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def client_address(request: Request) -> str | None:
    """The client's address: the connecting one, or the forwarded one behind a proxy listed in
    ``Settings.trusted_proxies`` (``xinyong.http.ratelimit.client_address``)."""
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else None
    return resolve_client(
        peer, request.headers.get("x-forwarded-for"), settings.trusted_proxy_networks
    )


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]


def get_wiring(request: Request) -> WiringSource:
    return request.app.state.wiring


WiringDep = Annotated[WiringSource, Depends(get_wiring)]


def get_wired(wiring: WiringDep, session: SessionDep) -> Wired:
    """The setups built from what is published now. FastAPI caches a dependency per request,
    so a request asks whether something new was published once, however many setups it uses
    (``XINYONG_DEFINITIONS_TTL_SECONDS`` lets a process skip even that for a few seconds)."""
    return wiring.fresh(session)


WiredDep = Annotated[Wired, Depends(get_wired)]


@cache
def provide(kind: type[T]) -> Callable[[Wired], T]:
    """A dependency answering the setup of type ``kind`` in force for this request; a domain
    declares ``XSetupDep = Annotated[XSetup, Depends(provide(XSetup))]`` in its own module."""

    def dependency(wired: WiredDep) -> T:
        return wired.get(kind)

    dependency.__name__ = f"provide_{kind.__name__}"
    return dependency


CatalogDep = Annotated[Catalog, Depends(provide(Catalog))]


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The caller from ``Authorization: Bearer …`` or ``X-API-Key``; anonymous without either.

    Counts the request against the caller's rate limit: 429 ``rate_limited`` with
    ``Retry-After`` once it is spent, and a bad credential against the address's allowance of
    failures: 429 ``auth.too_many_failures`` instead of 401 once that is spent (see
    ``xinyong.http.ratelimit``).
    """
    # Apps assembled without create_app (a router mounted alone) have no limiter.
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    client = client_address(request)
    try:
        principal = accounts.resolve_principal(
            session,
            bearer=bearer_token(request),
            api_key=request.headers.get("x-api-key"),
            secret=settings.secret_key.get_secret_value(),
            now=clock.now(),
        )
    except Unauthorized:
        if limiter is not None:
            limiter.count_failed_auth(client_host=client)
        raise
    if limiter is not None:
        limiter.check(principal, client_host=client)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def count_person_lookup(request: Request, principal: Principal, code: str) -> None:
    """Spend one of the caller's hourly person look-ups when ``code`` is a person's ID number
    and the caller is outside government (429 ``rate_limited.person_lookups`` once spent)."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None and names_a_person(code):
        limiter.count_person_lookup(principal, client_host=client_address(request))
