"""Errors of credit commitments."""

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


class TemplatesError(DefinitionFileError):
    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        super().__init__(
            "commitments.invalid_templates", f"信用承诺书模板定义文件有误：{path.name}", errors
        )


class EnterpriseOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("commitments.enterprise_only", "在线签署信用承诺须使用本企业的企业账号")


class NotOwnSubject(Forbidden):
    def __init__(self) -> None:
        super().__init__("commitments.not_own_subject", "只能以本企业名义作出信用承诺")


class TemplateNotFound(NotFound):
    def __init__(self, template_id: str) -> None:
        super().__init__(
            "commitments.template_not_found",
            f"承诺书模板不存在或尚未生效：{template_id}",
            field_name="template_id",
        )


class UnknownDepartment(FieldProblem):
    def __init__(self, code: str) -> None:
        super().__init__(
            "commitments.unknown_department", "receiving_department", f"未知的承诺受理部门：{code}"
        )


class MatterNotApplicable(FieldProblem):
    def __init__(self, matter: str, template_name: str) -> None:
        super().__init__(
            "commitments.matter_not_applicable",
            "matter",
            f"“{matter}”不在《{template_name}》的适用事项范围内",
        )


class NotAccepted(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "commitments.not_accepted", "accepted", "须阅读并同意承诺书全部内容后方可签署"
        )


class SubjectKindNotSupported(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "commitments.subject_kind",
            "subject_code",
            "在线信用承诺仅适用于具有统一社会信用代码的经营主体和组织",
        )


class CommitmentNotAllowed(XinyongError):
    """国办发〔2020〕42号: 较严重不良信用记录或曾作出虚假承诺的，在信用修复前不适用告知承诺。"""

    def __init__(self, commitment_type: str, reasons: list[str]) -> None:
        super().__init__(
            code="commitments.not_allowed",
            title=(
                f"该主体有较严重的不良信用记录或违诺记录，在信用修复前不适用{commitment_type}，"
                "请按一般程序提交证明材料"
            ),
            status=409,
            errors=[FieldError("template_id", "commitments.not_allowed", r) for r in reasons],
        )


class RecordRejected(XinyongError):
    """The credit record of a commitment or breach failed the catalog's validation."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            code="commitments.record_rejected",
            title="信用承诺信息未能记入信用记录：" + "；".join(e.message for e in errors[:3]),
            status=422,
            errors=errors,
        )


class CommitmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("commitments.not_found", "信用承诺不存在", field_name="commitment_id")


class NotReceivingDepartment(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "commitments.not_receiving_department", "只能由承诺受理部门核查该承诺的履行情况"
        )


class InvalidTransition(XinyongError):
    def __init__(self, status_label: str) -> None:
        super().__init__(
            code="commitments.invalid_transition",
            title=f"该承诺当前状态为“{status_label}”，不能再次核查",
            status=409,
        )


class Conflict(XinyongError):
    """A compare-and-set move lost: someone else verified the commitment first."""

    def __init__(self) -> None:
        super().__init__(
            code="commitments.conflict",
            title="该承诺已被他人核查或状态已变化，请刷新后重试",
            status=409,
        )


class BreachKindRequired(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "commitments.breach_kind_required",
            "breach_kind",
            "认定违诺须选择违诺情形：未履行承诺或虚假承诺",
        )


class SubjectFilterForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__("commitments.not_own_subject", "只能查看本企业的信用承诺")


class ListForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "commitments.list_forbidden", "该账号无权查看信用承诺（企业、承诺受理部门或管理员）"
        )
