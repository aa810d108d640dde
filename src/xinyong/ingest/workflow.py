"""The transition table of an ingest batch: running until the file (or API call) is stored
whole (completed) or a limit or a problem found mid-file ends it early (stopped). Both ends are
final: a stopped file is imported again as a new batch, never resumed. A killed import stays
running, and the same file resumes it from its checkpoint (``Batch.rows_done``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from xinyong.ingest.errors import BatchAlreadyEnded
from xinyong.ingest.models import BatchStatus
from xinyong.workflow import Workflow


class BatchAction(StrEnum):
    FINISH = "finish"
    STOP = "stop"


BATCH: Final = Workflow(
    name="ingest.batch",
    statuses=BatchStatus,
    moves={
        (BatchStatus.RUNNING, BatchAction.FINISH): BatchStatus.COMPLETED,
        (BatchStatus.RUNNING, BatchAction.STOP): BatchStatus.STOPPED,
    },
    terminal=frozenset({BatchStatus.COMPLETED, BatchStatus.STOPPED}),
    refused=BatchAlreadyEnded,
    lost=BatchAlreadyEnded,
    labels={
        BatchStatus.RUNNING: "导入中",
        BatchStatus.COMPLETED: "已完成",
        BatchStatus.STOPPED: "已停止",
    },
)
