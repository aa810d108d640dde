"""Routes take the definitions in force by type: the credit file's setup (lists, scopes, repair
status, models) and the others resolve to the wiring's, one set per request."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from xinyong.access.deps import ScopesDep
from xinyong.credit_file.setup import CreditFileSetupDep
from xinyong.http.deps import CatalogDep
from xinyong.lists.deps import ListsDep
from xinyong.repair.setup import RepairStatuses
from xinyong.web.app import create_app


def test_credit_file_dependencies_resolve_to_the_wiring(engine, settings) -> None:
    app = create_app(settings, engine=engine)
    seen: dict[str, object] = {}
    router = APIRouter()

    @router.get("/probe")
    def probe(
        lists: ListsDep, scopes: ScopesDep, setup: CreditFileSetupDep, catalog: CatalogDep
    ) -> dict[str, bool]:
        seen.update(lists=lists, scopes=scopes, setup=setup, catalog=catalog)
        return {"ok": True}

    app.include_router(router)
    assert TestClient(app).get("/probe").status_code == 200
    held = app.state.wiring.held
    assert seen["lists"] is held.definitions.lists
    assert seen["scopes"] is held.definitions.scopes
    assert seen["catalog"] is held.definitions.catalog
    assert seen["setup"].lists is held.definitions.lists
    assert seen["setup"].scorecards is held.definitions.scorecards
    assert isinstance(seen["setup"].repair_status, RepairStatuses)
    assert seen["setup"].repair_status is held.get(RepairStatuses)


class _Counting:
    """The app's wiring, counting how often a request asks it for what is in force."""

    def __init__(self, wiring) -> None:
        self.wiring, self.asked = wiring, 0

    def fresh(self, session):
        self.asked += 1
        return self.wiring.fresh(session)


def test_a_request_asks_what_is_in_force_once_however_many_setups_it_uses(engine, settings):
    app = create_app(settings, engine=engine)
    app.state.wiring = counting = _Counting(app.state.wiring)
    # The repair guide takes the repair rules and the catalog: two setups, one question.
    assert TestClient(app).get("/api/v1/repair/guide").status_code == 200
    assert counting.asked == 1
