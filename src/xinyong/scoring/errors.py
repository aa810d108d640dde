"""Errors of scoring."""

from __future__ import annotations

from xinyong.errors import FieldProblem, Forbidden


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
