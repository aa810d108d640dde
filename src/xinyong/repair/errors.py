"""Errors of credit repair."""

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


class RepairRulesError(DefinitionFileError):
    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__("repair.invalid_rules", f"信用修复规则定义文件有误：{path.name}", errors)


class NotOwnRecord(Forbidden):
    def __init__(self) -> None:
        super().__init__("repair.not_own_record", "只能为本企业的失信信息申请信用修复")


class SubjectCodeRequired(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "repair.subject_code_required",
            "subject_code",
            "请提供信用主体代码（统一社会信用代码）；企业账号可省略，默认为本企业",
        )


class EnterpriseOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("repair.enterprise_only", "信用修复申请须由企业本身（企业账号）提交")


class NotEligible(XinyongError):
    """Some records cannot be repaired now: each one is named with its reason (and date)."""

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0].message if len(errors) == 1 else f"{len(errors)} 条信息暂不能修复"
        super().__init__(
            code=errors[0].code if len(errors) == 1 else "repair.not_eligible",
            title=first,
            status=409,
            errors=errors,
        )


class CommitmentRequired(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "repair.commitment_required",
            "commitment",
            "申请信用修复须在线签署信用承诺书（一份承诺书覆盖本次申请的全部信息）",
        )


class ProofRequired(FieldProblem):
    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "repair.proof_required",
            "proofs",
            f"以下信息需上传履行义务的证明：{'；'.join(names)}",
        )


def _size(limit: int) -> str:
    """A byte limit as people read it: 10 MB, 1.5 MB, 500 KB."""
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:.3g} MB"
    return f"{limit / 1024:.3g} KB"


class ProofTooLarge(FieldProblem):
    """One proof file, or all of an application's together, exceed the limit (413)."""

    def __init__(self, field_name: str, limit: int, *, total: bool = False) -> None:
        what = "本申请全部证明材料合计" if total else "单个证明文件"
        super().__init__(
            "repair.proofs_total_too_large" if total else "repair.proof_too_large",
            field_name,
            f"{what}不能超过 {_size(limit)}",
            status=413,
        )


class TooManyProofs(FieldProblem):
    def __init__(self, field_name: str, limit: int, already: int) -> None:
        held = f"（已提交 {already} 个）" if already else ""
        super().__init__(
            "repair.proofs_too_many", field_name, f"一件修复申请最多提交 {limit} 个证明文件{held}"
        )


class ProofNotBase64(FieldProblem):
    def __init__(self, field_name: str) -> None:
        super().__init__("repair.proof_encoding", field_name, "证明文件内容须为 base64 编码")


class NoRecords(FieldProblem):
    def __init__(self) -> None:
        super().__init__("repair.no_records", "record_ids", "请至少选择一条需要修复的失信信息")


class TooManyRecords(FieldProblem):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "repair.too_many_records", "record_ids", f"一次最多申请修复 {limit} 条信息"
        )


class ApplicationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "repair.application_not_found", "修复申请不存在", field_name="application_id"
        )


class TaskNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("repair.task_not_found", "审核任务不存在", field_name="task_id")


class NotYourTask(Forbidden):
    def __init__(self) -> None:
        super().__init__("repair.not_your_task", "只能审核本部门的修复任务")


class ReviewerOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("repair.reviewer_only", "审核修复任务须使用部门审核员或部门账号")


class Conflict(XinyongError):
    """A compare-and-set move lost: someone else moved the item first."""

    def __init__(self, what: str) -> None:
        super().__init__(
            code="repair.conflict",
            title=f"{what}已被他人处理或状态已变化，请刷新后重试",
            status=409,
        )


class InvalidDecision(FieldProblem):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__("repair.invalid_decision", field_name, message)


class NoSupplementPending(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="repair.no_supplement_pending",
            title="该申请当前没有需要补正的材料",
            status=409,
        )
