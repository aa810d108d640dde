"""The transition table of a scoring model version: draft → dry run (tested) → published →
retired, and nothing else (STYLE.md, workflow state machines).

A tested version may be dry-run again (the data moved on); a discarded draft is retired too, its
event row saying it was never published. Retired is the only end.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from xinyong.errors import XinyongError
from xinyong.workflow import Workflow


class ModelStatus(StrEnum):
    DRAFT = "draft"
    TESTED = "tested"
    PUBLISHED = "published"
    RETIRED = "retired"


class Action(StrEnum):
    CREATE = "create"  # a draft comes into being: its first event, not a move
    DRY_RUN = "dry_run"
    PUBLISH = "publish"
    RETIRE = "retire"
    DISCARD = "discard"


STATUS_LABELS: Final[Mapping[ModelStatus, str]] = {
    ModelStatus.DRAFT: "草稿",
    ModelStatus.TESTED: "已试算",
    ModelStatus.PUBLISHED: "已发布",
    ModelStatus.RETIRED: "已停用",
}
ACTION_LABELS: Final[Mapping[Action, str]] = {
    Action.CREATE: "创建",
    Action.DRY_RUN: "试算",
    Action.PUBLISH: "发布",
    Action.RETIRE: "停用",
    Action.DISCARD: "废弃",
}


class InvalidTransition(XinyongError):
    def __init__(self, status: ModelStatus | str, action: Action) -> None:
        label = STATUS_LABELS[status] if isinstance(status, ModelStatus) else status
        super().__init__(
            code="scoring.invalid_transition",
            title=f"模型版本处于“{label}”状态，不能“{ACTION_LABELS[action]}”",
            status=409,
        )


class ConcurrentUpdate(XinyongError):
    """Another administrator moved the version between our read and our write."""

    def __init__(self, model_id: str | None = None, version: int | None = None) -> None:
        which = "该模型版本" if model_id is None else f"模型 {model_id} 第 {version} 版"
        super().__init__(
            code="scoring.concurrent_update",
            title=f"{which}已被他人同时处理，请刷新后重试",
            status=409,
        )


MODEL_VERSION: Final = Workflow(
    name="model_version",
    statuses=ModelStatus,
    moves={
        (ModelStatus.DRAFT, Action.DRY_RUN): ModelStatus.TESTED,
        (ModelStatus.DRAFT, Action.DISCARD): ModelStatus.RETIRED,
        (ModelStatus.TESTED, Action.DRY_RUN): ModelStatus.TESTED,
        (ModelStatus.TESTED, Action.PUBLISH): ModelStatus.PUBLISHED,
        (ModelStatus.TESTED, Action.DISCARD): ModelStatus.RETIRED,
        (ModelStatus.PUBLISHED, Action.RETIRE): ModelStatus.RETIRED,
    },
    terminal=frozenset({ModelStatus.RETIRED}),
    refused=InvalidTransition,
    lost=ConcurrentUpdate,
    labels=STATUS_LABELS,
)
