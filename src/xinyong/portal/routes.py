"""Public pages: search subjects, read a credit file (public view)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from xinyong.credit_file import service
from xinyong.credit_file.setup import CreditFileSetup, CreditFileSetupDep
from xinyong.errors import XinyongError
from xinyong.http.deps import CatalogDep, PrincipalDep, SessionDep, SettingsDep, count_person_lookup
from xinyong.kit import clock

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    results = None
    if q.strip():
        results = service.search_subjects(
            session, q=q, page=page, size=PAGE_SIZE, principal=principal, now=clock.now()
        )
    return templates.TemplateResponse(
        request, "index.html", {"q": q, "results": results, "page": page, "size": PAGE_SIZE}
    )


def _file_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    setup: CreditFileSetup,
    *,
    code: str,
    name: str | None,
) -> HTMLResponse:
    try:
        count_person_lookup(request, principal, code)
        credit_file = service.read_file(
            session,
            catalog,
            setup.lists,
            code=code,
            principal=principal,
            scope_definitions=setup.scopes,
            repair_status=setup.repair_status,
            scorecards=setup.scorecards,
            secret=settings.hmac_key,
            as_of=clock.today(),
            now=clock.now(),
            name=name,
        )
    except XinyongError as exc:
        return templates.TemplateResponse(
            request, "error.html", {"error": exc}, status_code=exc.status
        )
    return templates.TemplateResponse(request, "file.html", {"f": credit_file})


@router.get("/subjects/{code}", response_class=HTMLResponse)
def subject_file(
    request: Request,
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    setup: CreditFileSetupDep,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    return _file_page(request, session, principal, settings, catalog, setup, code=code, name=name)


@router.post("/persons", response_class=HTMLResponse)
def person_file(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    setup: CreditFileSetupDep,
    name: Annotated[str, Form(max_length=100)],
    id_number: Annotated[str, Form(max_length=40)],
) -> HTMLResponse:
    """A person's public file by name and ID number, posted so that the number stays out of
    addresses, browser history and logs."""
    return _file_page(
        request, session, principal, settings, catalog, setup, code=id_number, name=name
    )
