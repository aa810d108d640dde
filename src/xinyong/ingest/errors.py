"""Errors of ingestion. A file-level error means nothing of the file was stored."""

from __future__ import annotations

from xinyong.errors import FieldError, FieldProblem, XinyongError


class UnknownRecordType(FieldProblem):
    def __init__(self, code: str) -> None:
        super().__init__(
            "ingest.unknown_type",
            "type",
            f"未知的信息类型：{code}（可用 `xinyong catalog list` 查看）",
        )


class UnknownSource(FieldProblem):
    def __init__(self, code: str) -> None:
        super().__init__("ingest.unknown_source", "source", f"未知的数据来源单位：{code}")


class SourceNotAllowed(FieldProblem):
    def __init__(self, source: str, type_name: str) -> None:
        super().__init__(
            "ingest.source_not_allowed",
            "source",
            f"数据来源单位 {source} 无权报送“{type_name}”信息",
            status=403,
        )


class MissingColumns(XinyongError):
    def __init__(self, labels: list[str]) -> None:
        super().__init__(
            code="ingest.missing_columns",
            title=f"文件缺少必填列：{'、'.join(labels)}，整个文件未导入",
            status=422,
            errors=[
                FieldError(label, "ingest.missing_column", f"缺少必填列：{label}")
                for label in labels
            ],
        )


class NoHeader(FieldProblem):
    def __init__(self) -> None:
        super().__init__(
            "ingest.no_header", "file", "未找到可识别的表头行（前10行中没有与目录字段匹配的列名）"
        )


class TooManyRows(FieldProblem):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "ingest.too_many_rows", "rows", f"单次提交最多{limit}条记录，请分批提交或上传文件"
        )
