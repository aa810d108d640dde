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


class IngestAlreadyRunning(FieldProblem):
    """409: the same file (source, type and content) is being imported by another process."""

    def __init__(self, batch_id: int | None) -> None:
        which = f"（批次 {batch_id}）" if batch_id is not None else ""
        super().__init__(
            "ingest.already_running",
            "file",
            f"同一文件正在由另一个导入进程处理{which}，本次未导入任何数据：请等待其完成后查看"
            "批次结果；如该进程已中断，重新运行本命令即可从断点继续",
            status=409,
        )


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MB"


class FileTooLarge(FieldProblem):
    def __init__(self, limit: int, *, unpacked: bool = False) -> None:
        what = "XLSX 文件解压后的内容" if unpacked else "文件"
        super().__init__(
            "ingest.file_too_large",
            "file",
            f"{what}超过 {_mib(limit)} 的上限，整个文件未导入：请拆分为多个文件后分别导入",
            status=413,
        )


class TooManyColumns(FieldProblem):
    def __init__(self, columns: int, limit: int) -> None:
        super().__init__(
            "ingest.too_many_columns",
            "file",
            f"表头有 {columns} 列，超过 {limit} 列的上限，整个文件未导入",
        )


class TooManyFileRows(FieldProblem):
    def __init__(self, limit: int, *, batch_id: int) -> None:
        super().__init__(
            "ingest.too_many_file_rows",
            "file",
            f"文件（工作表）超过 {limit} 行的上限，已停止导入（批次 {batch_id}）：此前的行已导入，"
            "请将超出的行拆分为新文件后导入",
        )


class TooManyRejects(FieldProblem):
    """Past the reject limit an import stops: a file keeps the chunks it stored, a call to
    POST /records:batch (one transaction) stores nothing."""

    def __init__(
        self,
        limit: int,
        *,
        field_name: str = "file",
        batch_id: int | None = None,
        rows_done: int = 0,
    ) -> None:
        where = (
            f"（批次 {batch_id}）：已处理的 {rows_done} 行中合格的已入库、被拒收的已隔离，"
            "其余行未处理。"
            if batch_id is not None
            else "，本次提交未保存任何数据。"
        )
        super().__init__(
            "ingest.too_many_rejects",
            field_name,
            f"超过 {limit} 行被拒收，已停止导入{where}请按拒收原因修正后重新导入",
        )


class BatchAlreadyEnded(XinyongError):
    """A batch that is completed or stopped is never moved again (a second process, or a
    resumed import, found it ended)."""

    def __init__(self, *_: object) -> None:
        super().__init__(
            code="ingest.batch_ended", title="该导入批次已结束，不能再变更", status=409
        )
