"""What the databases can store, so input beyond it is refused as bad input instead of failing
in the driver: integer keys are 32-bit (PostgreSQL ``integer``), and text holds no NUL
(PostgreSQL refuses U+0000 in ``text`` and ``jsonb``) and no lone surrogate (not UTF-8)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

MAX_ROW_ID = 2**31 - 1
"""The largest id of a stored row: ids outside 1..MAX_ROW_ID name nothing."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """No NUL and no lone surrogate."""
    return _UNSTORABLE.search(text) is None


def storable_copy(text: str) -> str:
    """``text`` with NULs dropped and lone surrogates replaced by U+FFFD: for copies that are
    only shown (quarantined cells, unknown column names), never for values that count."""
    if is_storable(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


StorableStr = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
"""A request string that reaches the database: a NUL is refused as a validation error naming
the field (``string_pattern_mismatch``; the pattern is published in the OpenAPI). Pydantic
already refuses lone surrogates in ``str``. Length limits stay on the ``Field``/``Query``."""
