"""Request parameters that several capabilities take alike, declared once so that each means
the same (bounds, wording in the API description) wherever it appears."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from xinyong.kit.storable import MAX_ROW_ID, StorableStr

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""A stored row's id in a path: ids the database cannot hold name nothing (422, not a 500)."""

PersonName = Annotated[
    StorableStr | None,
    Query(max_length=100, description="查询自然人时须提供其姓名（与身份证号码一致才返回）"),
]
"""The name a person lookup must carry: a person's data is served only when it matches the ID
number (``count_person_lookup`` limits the tries)."""
