"""Evaluating a parsed predicate in Python, for dry runs and cases.

:func:`evaluate` answers exactly as SQL ``WHERE`` does for the same tree compiled by
:func:`xinyong.rules.predicate_sql.to_sqlalchemy`: three-valued logic with a missing or ``None``
field as unknown, unknown collapsed to False at the top (see :mod:`xinyong.rules.expression`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

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


def _coerce(actual: Any, like: Scalar) -> Any:
    """Bring a row value to the type of the literal it is compared with."""
    if isinstance(like, date):
        if isinstance(actual, datetime):
            return actual.date()
        if isinstance(actual, str):
            return date.fromisoformat(actual[:10])
    elif isinstance(like, int | float) and not isinstance(like, bool) and isinstance(actual, str):
        return Decimal(actual)
    return actual


def _compare(actual: Any, op: str, value: Scalar) -> bool | None:
    try:
        actual = _coerce(actual, value)
        if isinstance(actual, Decimal) and isinstance(value, float):
            # SQL compares as float; compare the literal as written, not its binary expansion.
            value = Decimal(repr(value))
        return bool(OPERATORS[op](actual, value))
    except (TypeError, ValueError, InvalidOperation):
        return None  # a value of the wrong type cannot be judged: unknown, as a failed cast


def _xor(result: bool | None, negate: bool) -> bool | None:
    return None if result is None else result != negate


def _truth(expr: Expr, row: Mapping[str, Any]) -> bool | None:
    """Three-valued truth: None is unknown."""
    match expr:
        case Const(value):
            return value
        case IsNull(field, negate):
            return (row.get(field) is None) != negate
        case Cmp(field, op, value):
            actual = row.get(field)
            return None if actual is None else _compare(actual, op, value)
        case In(field, values, negate):
            actual = row.get(field)
            if actual is None:
                return None
            hits = [_compare(actual, "==", v) for v in values]
            found = True if True in hits else (None if None in hits else False)
            return _xor(found, negate)
        case Contains(field, value, negate):
            actual = row.get(field)
            if actual is None:
                return None
            if isinstance(actual, str):
                actual = [actual]
            return _xor(value in actual, negate)
        case Not(operand):
            inner = _truth(operand, row)
            return None if inner is None else not inner
        case And(operands):
            results = [_truth(o, row) for o in operands]
            return False if False in results else (None if None in results else True)
        case Or(operands):
            results = [_truth(o, row) for o in operands]
            return True if True in results else (None if None in results else False)
    raise TypeError(f"not an expression node: {expr!r}")


def evaluate(expr: Expr, row: Mapping[str, Any]) -> bool:
    """Whether ``row`` satisfies ``expr``: three-valued logic with missing/None as unknown,
    unknown collapsed to False at the top — exactly the rows SQL ``WHERE`` selects."""
    return _truth(expr, row) is True
