"""Errors of scoring."""

from __future__ import annotations

from xinyong.errors import FieldProblem, Forbidden, XinyongError


class FutureAsOf(FieldProblem):
    def __init__(self) -> None:
        super().__init__("scoring.future_as_of", "as_of", "评价日期不能晚于今天")


class UnknownModel(FieldProblem):
    def __init__(self, model_id: str) -> None:
        super().__init__(
            "scoring.unknown_model", "model_id", f"未知的评价模型：{model_id}", status=404
        )


class UnknownEngine(FieldProblem):
    def __init__(self, engine: str) -> None:
        super().__init__(
            "scoring.unknown_engine", "engine", f"未知的计算引擎：{engine}（可选 database、duckdb）"
        )


class ScoresForbidden(Forbidden):
    def __init__(self) -> None:
        super().__init__("scoring.forbidden", "信用评价结果仅向本主体和政府部门提供")


class BreaksDefinitions(XinyongError):
    """Publishing this version would leave a definition that rests on the model unusable (a
    measure naming a model that now needs the subject's consent, say): every process would fail
    to load the definitions in force, so the publication is refused and nothing changes."""

    def __init__(self, model_id: str, version: int, cause: XinyongError) -> None:
        super().__init__(
            code="scoring.breaks_definitions",
            title=f"不能发布 {model_id} 第 {version} 版：{cause.title}",
            status=409,
            errors=list(cause.errors),
        )
