"""Errors of credit checks and the measures catalog."""

from __future__ import annotations

from pathlib import Path

from xinyong.errors import (
    DefinitionFileError,
    FieldError,
    FieldProblem,
    Forbidden,
    NotFound,
    XinyongError,
)


class MeasureDefinitionError(DefinitionFileError):
    """``definitions/measures.yaml`` is invalid: names the file and every problem."""

    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__("checks.invalid_measures", f"措施清单定义文件有误：{path.name}", errors)


class UnknownArea(FieldProblem):
    def __init__(self, area: str, known: list[str], field_name: str = "area") -> None:
        super().__init__(
            "checks.unknown_area",
            field_name,
            f"未知的应用领域：{area[:40]}（可选：{'、'.join(known)}）",
        )


class EmptyBatch(FieldProblem):
    def __init__(self) -> None:
        super().__init__("checks.empty_batch", "subjects", "批量核查至少需要一个主体")


class BatchTooLarge(FieldProblem):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "checks.batch_too_large",
            "subjects",
            f"批量核查一次最多 {limit} 个主体，本次 {size} 个；请分批提交",
        )


class InvalidCodes(XinyongError):
    """The code of a single check is neither a USCC nor a resident ID (a batch answers such a
    code in its own item instead)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            code="checks.invalid_codes",
            title="主体代码无效，未执行核查",
            status=422,
            errors=errors,
        )


class ChecksForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "checks.forbidden", "信用核查仅限政府部门账号和业务系统密钥（查询将被登记）"
        )


class CheckNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("checks.not_found", "核查记录不存在", field_name="check_id")


class NotYourCheck(Forbidden):
    def __init__(self) -> None:
        super().__init__("checks.not_your_check", "只能反馈本部门发起的核查")


class FeedbackExists(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="checks.feedback_exists", title="该核查已反馈过办理结果，不能重复反馈", status=409
        )


class InvalidStatsRange(FieldProblem):
    def __init__(self) -> None:
        super().__init__("checks.invalid_range", "to", "截止日期不能早于起始日期")
