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
