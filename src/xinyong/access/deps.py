"""The grant scopes in force, for any route that reads a file by scope (``provide``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from xinyong.access.scopes import ScopeDefinitions
from xinyong.http.deps import provide

ScopesDep = Annotated[ScopeDefinitions, Depends(provide(ScopeDefinitions))]
