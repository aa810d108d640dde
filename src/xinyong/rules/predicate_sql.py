"""Compiling a parsed predicate to a SQLAlchemy Core boolean for ``WHERE``.

:func:`to_sqlalchemy` selects exactly the rows :func:`xinyong.rules.predicate_eval.evaluate`
accepts for the same tree (see :mod:`xinyong.rules.expression` for the semantics);
:func:`json_array_contains` is the membership test of a multi-valued field stored as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, false, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from xinyong.rules.expression import (
    OPERATORS,
    And,
    Cmp,
    Const,
    Contains,
    Expr,
    In,
    IsNull,
    Not,
    Or,
    Scalar,
)


def _bind(col: ColumnElement[Any], value: Scalar) -> Any:
    # A date compared with a text column (JSON fields) is compared as ISO text, which orders
    # the same way; a real DATE column takes the date itself.
    if isinstance(value, date) and not isinstance(col.type, Date):
        return value.isoformat()
    return value


def json_array_contains(array_text: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """A ``contains`` for :func:`to_sqlalchemy` over the JSON text of an array of strings.

    The array holds whole elements, so its text contains the quoted element exactly when the
    array does. Non-ASCII text may be stored escaped (``json.dumps`` default, SQLite's JSON
    text) or not (PostgreSQL ``jsonb ->>``), so both spellings are matched. NULL stays NULL."""
    spellings = dict.fromkeys([json.dumps(value, ensure_ascii=False), json.dumps(value)])
    return or_(*(array_text.contains(s, autoescape=True) for s in spellings))


def to_sqlalchemy(
    expr: Expr,
    column: Callable[[str], ColumnElement[Any]],
    *,
    contains: Callable[[str, Any], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    """``expr`` as a SQLAlchemy Core boolean for ``WHERE``: ``column(name)`` resolves a field to
    a column expression; ``contains(name, value)`` builds the membership test of a multi-valued
    field (required when ``expr`` has a :class:`Contains`) and must be NULL when the field is."""

    def build(node: Expr) -> ColumnElement[bool]:
        match node:
            case Const(value):
                return true() if value else false()
            case IsNull(field, negate):
                col = column(field)
                return col.is_not(None) if negate else col.is_(None)
            case Cmp(field, op, value):
                col = column(field)
                return OPERATORS[op](col, _bind(col, value))
            case In(field, values, negate):
                col = column(field)
                bound_values = [_bind(col, v) for v in values]
                return col.not_in(bound_values) if negate else col.in_(bound_values)
            case Contains(field, value, negate):
                if contains is None:
                    raise ValueError(f"field {field} is multi-valued: pass contains=")
                test = contains(field, value)
                return not_(test) if negate else test
            case Not(operand):
                return not_(build(operand))
            case And(operands):
                return and_(*(build(o) for o in operands))
            case Or(operands):
                return or_(*(build(o) for o in operands))
        raise TypeError(f"not an expression node: {node!r}")

    return build(expr)
