"""Errors of credit objections: stable codes, Chinese messages, the field at fault."""

from __future__ import annotations

from xinyong.errors import FieldError, FieldProblem, Forbidden, NotFound, XinyongError


class RecordNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("objection.record_not_found", "信用信息不存在", field_name="record_id")


class RepairItemNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "objection.repair_item_not_found", "信用修复事项不存在", field_name="repair_item_id"
        )


class ObjectionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("objection.not_found", "异议申请不存在", field_name="objection_id")


class NotOwnRecord(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "objection.not_own_record",
            "只能对本企业的信用信息提出异议（行政处罚信息除外：任何人持证据均可提出）",
        )


class SubjectOnly(Forbidden):
    def __init__(self, grounds_label: str) -> None:
        super().__init__("objection.subject_only", f"“{grounds_label}”的异议只能由信息主体本身提出")


class NotYourObjection(Forbidden):
    def __init__(self) -> None:
        super().__init__("objection.not_your_department", "只能处理本部门提供的信息的异议")


class ReviewerOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("objection.reviewer_only", "处理异议须使用部门审核员或部门账号")


class RecordRepaired(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.record_repaired",
            title="该信息已完成信用修复，不再公示，不能对其内容提出异议；"
            "如对修复结果有异议，请对不予修复的事项提出“修复结果”异议",
            status=409,
            errors=[FieldError("record_id", "objection.record_repaired", "该信息已完成信用修复")],
        )


class RecordRevoked(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.record_revoked",
            title="该信息已撤销，不再公示",
            status=409,
            errors=[FieldError("record_id", "objection.record_revoked", "该信息已撤销")],
        )


class AlreadyOpen(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.already_open",
            title="您对该信息已有处理中的异议，请等待处理结果",
            status=409,
            errors=[FieldError("record_id", "objection.already_open", "已有处理中的异议")],
        )


class RepairNotRejected(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.repair_not_rejected",
            title="只能对“不予修复”的修复结果提出异议",
            status=409,
            errors=[
                FieldError("repair_item_id", "objection.repair_not_rejected", "该事项未被驳回")
            ],
        )


class Conflict(XinyongError):
    """A compare-and-set move lost, or the table forbids it: someone decided first."""

    def __init__(self) -> None:
        super().__init__(
            code="objection.conflict",
            title="该异议已被他人处理或状态已变化，请刷新后重试",
            status=409,
        )


class InvalidInput(FieldProblem):
    """Bad input about one field (422)."""

    def __init__(self, field_name: str, message: str, code: str = "objection.invalid") -> None:
        super().__init__(code, field_name, message)


class EvidenceRequired(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "objection.evidence_required",
            "evidence",
            "非信息主体对行政处罚信息提出异议，须提供证据材料（市场监管总局令第45号第十二条）",
        )


class CorrectionRejected(XinyongError):
    """The corrected values did not pass the record type's validation (ingest path)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            code="objection.correction_invalid",
            title=errors[0].message if errors else "更正后的信息未通过校验",
            status=422,
            errors=errors,
        )


class CannotRevoke(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.cannot_revoke",
            title="该信息类型没有“当前状态”字段，不能通过异议撤销，请由数据来源部门处理",
            status=409,
        )


def _size(limit: int) -> str:
    """A byte limit as people read it: 10 MB, 1.5 MB, 500 KB."""
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:.3g} MB"
    return f"{limit / 1024:.3g} KB"


class EvidenceTooLarge(FieldProblem):
    """One evidence file, or all of them together, exceed the deployment's limit (413)."""

    def __init__(self, field_name: str, limit: int, *, total: bool = False) -> None:
        what = "全部证据材料合计" if total else "单个证据材料"
        super().__init__(
            "objection.evidence_total_too_large" if total else "objection.evidence_too_large",
            field_name,
            f"{what}不能超过 {_size(limit)}",
            status=413,
        )


class TooManyEvidenceFiles(FieldProblem):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "objection.evidence_too_many", "evidence", f"一件异议最多提交 {limit} 个证据材料"
        )


class NotAccepted(XinyongError):
    """A third party's objection is decided only once the providing department accepted it."""

    def __init__(self) -> None:
        super().__init__(
            code="objection.not_accepted",
            title="第三方提出的异议须先由数据来源部门受理（认定有据）后才能作出更正或不予更正的决定",
            status=409,
        )


class NotAwaitingAcceptance(XinyongError):
    def __init__(self) -> None:
        super().__init__(
            code="objection.not_awaiting_acceptance",
            title="该异议不在待受理状态（信息主体本人的异议无需受理，或已受理、已处理）",
            status=409,
        )
