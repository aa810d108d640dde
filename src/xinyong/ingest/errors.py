"""Errors of ingestion. A file-level error means nothing of the file was stored."""

from __future__ import annotations

from xinyong.errors import FieldError, XinyongError


class UnknownRecordType(XinyongError):
    def __init__(self, code: str) -> None:
        msg = f"未知的信息类型：{code}（可用 `xinyong catalog list` 查看）"
        super().__init__(
            code="ingest.unknown_type",
            title=msg,
            status=422,
            errors=[FieldError("type", "ingest.unknown_type", msg)],
        )


class UnknownSource(XinyongError):
    def __init__(self, code: str) -> None:
        msg = f"未知的数据来源单位：{code}"
        super().__init__(
            code="ingest.unknown_source",
            title=msg,
            status=422,
            errors=[FieldError("source", "ingest.unknown_source", msg)],
        )


class SourceNotAllowed(XinyongError):
    def __init__(self, source: str, type_name: str) -> None:
        msg = f"数据来源单位 {source} 无权报送“{type_name}”信息"
        super().__init__(
            code="ingest.source_not_allowed",
            title=msg,
            status=403,
            errors=[FieldError("source", "ingest.source_not_allowed", msg)],
        )


class MissingColumns(XinyongError):
    def __init__(self, labels: list[str]) -> None:
        names = "、".join(labels)
        msg = f"文件缺少必填列：{names}，整个文件未导入"
        super().__init__(
            code="ingest.missing_columns",
            title=msg,
            status=422,
            errors=[
                FieldError(label, "ingest.missing_column", f"缺少必填列：{label}")
                for label in labels
            ],
        )


class NoHeader(XinyongError):
    def __init__(self) -> None:
        msg = "未找到可识别的表头行（前10行中没有与目录字段匹配的列名）"
        super().__init__(
            code="ingest.no_header",
            title=msg,
            status=422,
            errors=[FieldError("file", "ingest.no_header", msg)],
        )


class TooManyRows(XinyongError):
    def __init__(self, limit: int) -> None:
        msg = f"单次提交最多{limit}条记录，请分批提交或上传文件"
        super().__init__(
            code="ingest.too_many_rows",
            title=msg,
            status=422,
            errors=[FieldError("rows", "ingest.too_many_rows", msg)],
        )
