"""The safe predicate grammar shared by scorecards, measures, list criteria and policies.

A predicate is a Python expression read with :func:`ast.parse` and accepted only if every node
is on a whitelist: comparisons (``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=``, chains such as
``1 <= fine_amount < 5``), ``in`` / ``not in`` a literal list, ``and`` / ``or`` / ``not``, field
names known to the catalog and literal constants. Calls, attributes, subscripts, arithmetic,
comprehensions, lambdas, f-strings, ``:=`` and double-underscore names are refused with a stable
code and a Chinese message that never echoes more than 60 characters of the source.

The result is a small immutable tree (:class:`And`, :class:`Or`, :class:`Not`, :class:`Cmp`,
:class:`In`, :class:`Contains`, :class:`IsNull`, :class:`Const`) that knows nothing of SQL, so
one definition compiles to SQLAlchemy Core (:func:`xinyong.rules.predicate_sql.to_sqlalchemy`)
for batch and online scoring and is evaluated in Python
(:func:`xinyong.rules.predicate_eval.evaluate`) for dry runs, with the same answers. This
module only parses; those two import from it, never the reverse.

Semantics, identical in ``evaluate`` and in SQL ``WHERE``:

* A missing or ``None`` field is *unknown*: every comparison, ``in`` and membership test on it
  is unknown, ``not`` of unknown is unknown, and ``and`` / ``or`` follow SQL's three-valued
  logic (``False and unknown`` is False, ``True or unknown`` is True). The top level collapses
  unknown to False, as ``WHERE`` does. So ``not fine_amount > 1`` does *not* select a record
  without a fine amount.
* ``field == None`` / ``field != None`` test presence (``IS NULL`` / ``IS NOT NULL``) and are
  never unknown.
* Multi-valued fields (kind ``list``, e.g. 处罚类别) have one meaning only: ``"罚款" in
  penalty_categories`` is true when the record's list contains that value (``not in``: does
  not contain). Comparing the list itself (``penalty_categories == …``, ``penalty_categories in
  [...]``) is refused; "any of several" is written ``"罚款" in penalty_categories or "警告" in
  penalty_categories``.
* Dates are written as ``"YYYY-MM-DD"`` strings compared with a date field and become
  :class:`datetime.date` values when parsed.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

from xinyong.catalog.schemas import FieldType, Polarity, RecordType, Severity
from xinyong.errors import XinyongError

MAX_SOURCE_LENGTH: Final = 1000
MAX_DEPTH: Final = 20
MAX_ECHO: Final = 60
MAX_NUMBER: Final = 10**15

Kind = Literal["string", "number", "date", "list", "bool"]
CmpOp = Literal["==", "!=", "<", "<=", ">", ">="]
Scalar = str | int | float | Decimal | bool | date

KIND_LABELS: Final[Mapping[str, str]] = {
    "string": "文字",
    "number": "数值",
    "date": "日期",
    "list": "多值",
    "bool": "是非",
}

RECORD_LEVEL_FIELDS: Final = ("decided_on", "severity", "polarity", "record_type")


class ExpressionError(XinyongError):
    """A predicate the grammar refuses: stable ``code``, Chinese ``message``, and ``position``
    (0-based character offset into the source, or None when the whole text is at fault).

    Codes: ``expr.syntax``, ``expr.not_allowed``, ``expr.unknown_field``,
    ``expr.unknown_value``, ``expr.type_mismatch``, ``expr.too_long``."""

    def __init__(self, code: str, message: str, position: int | None = None) -> None:
        super().__init__(code=code, title=message, status=422)
        self.position = position

    @property
    def message(self) -> str:
        return self.title


@dataclass(frozen=True)
class FieldSpec:
    """What a name in a predicate may be compared with.

    ``values``, when given, is the closed vocabulary of a ``string`` or ``list`` field (catalog
    enums): a literal outside it is refused, since it could never match."""

    name: str
    label: str
    kind: Kind
    values: tuple[str, ...] | None = None

    def describe(self) -> str:
        return f"“{self.label}”（{self.name}）"


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    """A literal ``True`` or ``False`` predicate."""

    value: bool


@dataclass(frozen=True)
class Cmp:
    """``field op value``; ``value`` is a str, number, bool or date (never None)."""

    field: str
    op: CmpOp
    value: Scalar


@dataclass(frozen=True)
class In:
    """``field in values`` (``not in`` when ``negate``) for a single-valued field."""

    field: str
    values: tuple[Scalar, ...]
    negate: bool = False


@dataclass(frozen=True)
class Contains:
    """``value in field`` (``not in`` when ``negate``) for a multi-valued (list) field."""

    field: str
    value: str
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    """``field == None`` (``field != None`` when ``negate``): presence, never unknown."""

    field: str
    negate: bool = False


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Const | Cmp | In | Contains | IsNull | Not | And | Or


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, depth first."""
    yield expr
    if isinstance(expr, Not):
        yield from walk(expr.operand)
    elif isinstance(expr, And | Or):
        for operand in expr.operands:
            yield from walk(operand)


def fields_used(expr: Expr) -> frozenset[str]:
    """The field names ``expr`` reads."""
    return frozenset(
        node.field for node in walk(expr) if isinstance(node, Cmp | In | Contains | IsNull)
    )


# --- parsing ----------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDERING: Final = frozenset({"<", "<=", ">", ">="})
_FLIP: Final[Mapping[str, CmpOp]] = {
    "==": "==",
    "!=": "!=",
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
}
_CMP_OPS: Final[Mapping[type[ast.cmpop], str]] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
# The same functions compare Python values (predicate_eval) and build SQLAlchemy comparisons
# (predicate_sql).
OPERATORS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Refused constructs, named in Chinese.
_REFUSED: Final[Mapping[type[ast.AST], str]] = {
    ast.Call: "不允许调用函数",
    ast.Attribute: "不允许访问属性",
    ast.Subscript: "不允许下标或切片",
    ast.Lambda: "不允许 lambda 函数",
    ast.BinOp: "不允许算术或位运算",
    ast.ListComp: "不允许推导式",
    ast.SetComp: "不允许推导式",
    ast.DictComp: "不允许推导式",
    ast.GeneratorExp: "不允许推导式",
    ast.JoinedStr: "不允许格式化字符串（f-string）",
    ast.FormattedValue: "不允许格式化字符串（f-string）",
    ast.NamedExpr: "不允许赋值（:=）",
    ast.Starred: "不允许展开（*）",
    ast.IfExp: "不允许条件表达式（… if … else …）",
    ast.Dict: "不允许字典",
    ast.Set: "不允许集合，列表请用方括号 [...]",
    ast.Await: "不允许 await",
    ast.Yield: "不允许 yield",
    ast.YieldFrom: "不允许 yield",
    ast.Slice: "不允许下标或切片",
}


def _clip(text: str, limit: int = MAX_ECHO) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Parser:
    """Converts a Python ``ast`` already parsed from ``"(\n" + body + "\n)"``."""

    def __init__(self, wrapped: str, offset: int, fields: Mapping[str, FieldSpec]) -> None:
        self.source = wrapped
        self.offset = offset  # position in the caller's text of the body's first character
        self.fields = fields
        self.lines = wrapped.splitlines(keepends=True)

    # positions and errors

    def position(self, node: ast.AST) -> int | None:
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if lineno is None or col is None:
            return None
        # col_offset counts UTF-8 bytes; the position counts characters.
        line = self.lines[lineno - 1]
        chars = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return _position(self.lines, lineno, chars, self.offset)

    def segment(self, node: ast.AST) -> str:
        return _clip(ast.get_source_segment(self.source, node) or "")

    def error(self, code: str, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(code, message, self.position(node))

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        return self.error("expr.not_allowed", f"{what}：“{self.segment(node)}”", node)

    # predicates

    def predicate(self, node: ast.expr) -> Expr:
        if isinstance(node, ast.BoolOp):
            operands = tuple(self.predicate(v) for v in node.values)
            return And(operands) if isinstance(node.op, ast.And) else Or(operands)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Not(self.predicate(node.operand))
            raise self.refuse(node, "不允许一元运算（-、+、~）作为条件")
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Name):
            spec = self.field(node)
            if spec.kind != "bool":
                raise self.error(
                    "expr.type_mismatch",
                    f"字段{spec.describe()}是{KIND_LABELS[spec.kind]}，不能单独作为条件，"
                    "请写成比较，例如 字段 == 值",
                    node,
                )
            return Cmp(spec.name, "==", True)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return Const(node.value)
            raise self.refuse(node, "常量不能单独作为条件")
        if isinstance(node, ast.List | ast.Tuple):
            raise self.refuse(node, "列表只能写在 in 或 not in 的右边")
        raise self.refuse(node, self.refused_name(node))

    def refused_name(self, node: ast.AST) -> str:
        if isinstance(node, ast.BinOp):
            return "不允许算术或位运算"
        return _REFUSED.get(type(node), f"不允许的写法（{type(node).__name__}）")

    def compare(self, node: ast.Compare) -> Expr:
        parts: list[Expr] = []
        left = node.left
        for op_node, right in zip(node.ops, node.comparators, strict=True):
            op = _CMP_OPS.get(type(op_node))
            if op is None:  # is / is not
                raise self.refuse(node, "不允许 is 比较，请用 == 或 !=")
            parts.append(self.pair(node, left, op, right))
            left = right
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def pair(self, whole: ast.Compare, left: ast.expr, op: str, right: ast.expr) -> Expr:
        if op in ("in", "not in"):
            return self.membership(whole, left, right, negate=op == "not in")
        left_is_name, right_is_name = isinstance(left, ast.Name), isinstance(right, ast.Name)
        if left_is_name and right_is_name:
            raise self.refuse(whole, "不允许比较两个字段，请与常量比较")
        if not left_is_name and not right_is_name:
            for side in (left, right):
                self.operand_shape(side)
            raise self.refuse(whole, "比较的一边必须是字段名")
        if right_is_name:
            left, right, op = right, left, _FLIP[op]
        assert isinstance(left, ast.Name)
        spec = self.field(left)
        value = self.constant(right)
        if value is None:
            if op not in ("==", "!="):
                raise self.error(
                    "expr.type_mismatch",
                    f"None 只能用 == 或 != 判断字段{spec.describe()}是否为空",
                    whole,
                )
            return IsNull(spec.name, negate=op == "!=")
        if spec.kind == "list":
            raise self.list_misuse(spec, whole)
        typed = self.typed(spec, value, right)
        if op in _ORDERING and spec.kind not in ("number", "date"):
            raise self.error(
                "expr.type_mismatch",
                f"字段{spec.describe()}是{KIND_LABELS[spec.kind]}，只能用 ==、!=、in、not in 比较，"
                f"不能用 {op}",
                whole,
            )
        return Cmp(spec.name, op, typed)  # type: ignore[arg-type]

    def membership(
        self, whole: ast.Compare, left: ast.expr, right: ast.expr, *, negate: bool
    ) -> Expr:
        if isinstance(right, ast.Name):
            spec = self.field(right)
            if spec.kind != "list":
                raise self.error(
                    "expr.type_mismatch",
                    f"只有多值字段可以写在 in 的右边；字段{spec.describe()}是"
                    f'{KIND_LABELS[spec.kind]}，请写成 {spec.name} in ["值1", "值2"]',
                    whole,
                )
            value = self.constant(left)
            if not isinstance(value, str):
                raise self.error(
                    "expr.type_mismatch",
                    f"判断多值字段{spec.describe()}是否包含某值时，左边必须是带引号的文字",
                    left,
                )
            self.check_vocabulary(spec, value, left)
            return Contains(spec.name, value, negate)
        if not isinstance(left, ast.Name):
            self.operand_shape(left)
            raise self.refuse(whole, "in 的左边必须是字段名（或右边是多值字段）")
        spec = self.field(left)
        if spec.kind == "list":
            raise self.list_misuse(spec, whole)
        if not isinstance(right, ast.List | ast.Tuple):
            self.operand_shape(right)
            raise self.refuse(right, 'in 的右边必须是方括号列表，如 ["A", "B"]')
        if not right.elts:
            raise self.refuse(right, "列表不能为空")
        values = []
        for elt in right.elts:
            value = self.constant(elt)
            if value is None:
                raise self.error(
                    "expr.type_mismatch", "列表中不能有 None，请另写 字段 == None", elt
                )
            values.append(self.typed(spec, value, elt))
        return In(spec.name, tuple(values), negate)

    def list_misuse(self, spec: FieldSpec, node: ast.AST) -> ExpressionError:
        return self.error(
            "expr.type_mismatch",
            f"字段{spec.describe()}是多值字段，只能判断是否包含某个值，例如 "
            f'"值" in {spec.name}；要求包含其中任一值时写成 '
            f'"值1" in {spec.name} or "值2" in {spec.name}',
            node,
        )

    # leaves

    def field(self, node: ast.Name) -> FieldSpec:
        name = node.id
        if name.startswith("__"):
            raise self.refuse(node, "不允许使用双下划线名称")
        spec = self.fields.get(name)
        if spec is not None:
            return spec
        by_label = {s.label: s.name for s in self.fields.values()}
        hints = [by_label[name]] if name in by_label else []
        hints += difflib.get_close_matches(name, list(self.fields), n=3, cutoff=0.6)
        hints += [by_label[x] for x in difflib.get_close_matches(name, list(by_label), n=2)]
        unique = list(dict.fromkeys(hints))[:3]
        message = f"未知字段：{_clip(name, 40)}"
        if unique:
            message += "；是否想写：" + "、".join(f"{h}（{self.fields[h].label}）" for h in unique)
        raise self.error("expr.unknown_field", message, node)

    def operand_shape(self, node: ast.expr) -> None:
        """Raise the not-allowed error for anything that is neither a name nor a literal."""
        if isinstance(node, ast.Name):
            self.field(node)
        elif isinstance(node, ast.List | ast.Tuple):
            for elt in node.elts:
                self.constant(elt)
        else:
            self.constant(node)

    def constant(self, node: ast.expr) -> str | int | float | bool | None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = node.operand
            if (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, int | float)
                and not isinstance(inner.value, bool)
            ):
                return -inner.value if isinstance(node.op, ast.USub) else inner.value
            raise self.refuse(node, "正负号只能用于数字")
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or isinstance(value, str | int | float):  # bool is an int
                return value
            raise self.refuse(node, "只允许文字、数字、True、False、None 常量")
        if isinstance(node, ast.Name):
            self.field(node)
            raise self.refuse(node, "这里需要常量，不能是字段")
        if isinstance(node, ast.List | ast.Tuple):
            raise self.refuse(node, "列表只能写在 in 或 not in 的右边")
        raise self.refuse(node, self.refused_name(node))

    def typed(self, spec: FieldSpec, value: str | int | float | bool, node: ast.expr) -> Scalar:
        shown = _clip(repr(value), 40)
        if spec.kind == "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                    raise self.refuse(node, "数字超出范围")
                return value
            raise self.error(
                "expr.type_mismatch",
                f"字段{spec.describe()}是数值，不能与 {shown} 比较（数字不加引号）",
                node,
            )
        if spec.kind == "date":
            if isinstance(value, str) and _DATE_RE.match(value):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    raise self.error(
                        "expr.type_mismatch", f"日期 {shown} 不存在，请检查年月日", node
                    ) from None
            raise self.error(
                "expr.type_mismatch",
                f'字段{spec.describe()}是日期，只能与形如 "2024-01-01" 的日期比较，不能与 {shown} 比较',
                node,
            )
        if spec.kind == "bool":
            if isinstance(value, bool):
                return value
            raise self.error(
                "expr.type_mismatch",
                f"字段{spec.describe()}是是非字段，只能与 True 或 False 比较，不能与 {shown} 比较",
                node,
            )
        if not isinstance(value, str):
            raise self.error(
                "expr.type_mismatch",
                f"字段{spec.describe()}是文字，不能与 {shown} 比较（文字要加引号）",
                node,
            )
        self.check_vocabulary(spec, value, node)
        return value

    def check_vocabulary(self, spec: FieldSpec, value: str, node: ast.expr) -> None:
        if spec.values is None or value in spec.values:
            return
        close = difflib.get_close_matches(value, spec.values, n=3, cutoff=0.3)
        message = f"字段{spec.describe()}没有取值 {_clip(repr(value), 40)}"
        message += f"；是否想写：{'、'.join(close)}" if close else ""
        message += f"（可选：{'、'.join(spec.values)}）" if len(spec.values) <= 12 else ""
        raise self.error("expr.unknown_value", message, node)


def _depth(tree: ast.AST) -> int:
    """The deepest nesting of expression nodes, counted without recursion."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return deepest


def _position(lines: list[str], lineno: int, chars: int, offset: int) -> int:
    # Line 1 of the wrapped text is the opening "(" and its newline.
    return max(0, offset + sum(len(line) for line in lines[1 : lineno - 1]) + chars)


def _too_deep(depth: int | None = None) -> ExpressionError:
    found = f"{depth} 层，" if depth else ""
    return ExpressionError("expr.too_long", f"条件表达式嵌套过深（{found}上限 {MAX_DEPTH} 层）")


def parse(source: str, *, fields: Mapping[str, FieldSpec]) -> Expr:
    """Parse ``source`` into a checked :data:`Expr` over ``fields``; raises
    :class:`ExpressionError` for anything outside the grammar (module docstring). The source
    may span several lines (a YAML block); error positions are offsets into ``source``."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            "expr.too_long", f"条件表达式过长（{len(source)} 字，上限 {MAX_SOURCE_LENGTH} 字）"
        )
    body = source.strip()
    if not body:
        raise ExpressionError("expr.syntax", "条件表达式为空")
    offset = len(source) - len(source.lstrip())
    # The parentheses let a predicate continue over several lines, as in a YAML block.
    wrapped = f"(\n{body}\n)"
    try:
        tree = ast.parse(wrapped, mode="eval")
    except SyntaxError as exc:
        if "too many nested" in (exc.msg or ""):
            raise _too_deep() from None
        if exc.lineno is None or exc.offset is None:
            raise ExpressionError("expr.syntax", "条件表达式语法错误") from None
        lines = wrapped.splitlines(keepends=True)
        position = _position(lines, exc.lineno, exc.offset - 1, offset)
        position = min(position, offset + len(body))
        near = source[position:].strip()
        shown = f"：“{_clip(near, 30)}”" if near else "（表达式不完整）"
        raise ExpressionError(
            "expr.syntax", f"条件表达式语法错误，第 {position + 1} 个字符附近{shown}", position
        ) from None
    except (RecursionError, MemoryError):
        raise _too_deep() from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise _too_deep(depth)
    return _Parser(wrapped, offset, fields).predicate(tree.body)


def fields_from_catalog(record_type: RecordType) -> dict[str, FieldSpec]:
    """The names a predicate over ``record_type`` may use: its catalog fields (date → date,
    amount_wan and integer → number, multiple → list, the rest → string; enums carry their
    canonical values) plus the columns every record has, which take precedence as the
    compiler reads them from the record row: ``decided_on``, ``severity``, ``polarity``,
    ``record_type``."""
    out: dict[str, FieldSpec] = {}
    for f in record_type.fields:
        kind: Kind
        if f.multiple:
            kind = "list"
        elif f.type is FieldType.DATE:
            kind = "date"
        elif f.type in (FieldType.AMOUNT_WAN, FieldType.INTEGER):
            kind = "number"
        else:
            kind = "string"
        values = tuple(f.values) if f.type is FieldType.ENUM and f.values else None
        out[f.name] = FieldSpec(f.name, f.label, kind, values)
    out.update(record_level_fields())
    return out


def record_level_fields() -> dict[str, FieldSpec]:
    """The columns every record has, whatever its type."""
    return {
        "decided_on": FieldSpec("decided_on", "决定日期", "date"),
        "severity": FieldSpec("severity", "严重程度", "string", tuple(s.value for s in Severity)),
        "polarity": FieldSpec("polarity", "信息性质", "string", tuple(p.value for p in Polarity)),
        "record_type": FieldSpec("record_type", "信息类型", "string"),
    }
