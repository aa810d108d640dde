"""The list definitions in force, for any route that shows lists (``provide``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from xinyong.http.deps import provide
from xinyong.lists.definitions import ListDefinitions

ListsDep = Annotated[ListDefinitions, Depends(provide(ListDefinitions))]
