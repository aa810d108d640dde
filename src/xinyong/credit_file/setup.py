"""What reading a credit file needs besides the session: the lists and grant scopes in force,
whether each record may be repaired now (the repair domain answers), and the models whose
grades the file shows. Built once per set of definitions by the wiring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from xinyong.access.scopes import ScopeDefinitions
from xinyong.credit_file.assembly import RepairStatusFn
from xinyong.http.deps import provide
from xinyong.lists.definitions import ListDefinitions
from xinyong.rules.loader import LoadedScorecard


@dataclass(frozen=True)
class CreditFileSetup:
    lists: ListDefinitions
    scopes: ScopeDefinitions
    repair_status: RepairStatusFn
    scorecards: Mapping[str, LoadedScorecard]


CreditFileSetupDep = Annotated[CreditFileSetup, Depends(provide(CreditFileSetup))]
