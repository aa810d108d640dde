"""Every transition table of xinyong, through the one workflow kit (STYLE.md).

For each table: every (status, action) pair is either allowed (and leads to a status of the
same workflow) or refused with the domain's own 409; only terminal statuses are dead ends.
A new stateful domain adds its workflows to ``WORKFLOWS``.
"""

from __future__ import annotations

from enum import StrEnum

import pytest

from xinyong.commitments.workflow import COMMITMENT
from xinyong.errors import XinyongError
from xinyong.ingest.workflow import BATCH
from xinyong.objections.workflow import OBJECTION
from xinyong.repair import workflow as repair
from xinyong.scoring.workflow import MODEL_VERSION
from xinyong.sync.workflow import DELIVERY
from xinyong.workflow import Workflow, WorkflowDefinitionError, dead_ends

# Every stateful domain's workflows.
WORKFLOWS: list[Workflow] = [
    OBJECTION,
    *repair.WORKFLOWS,
    COMMITMENT,
    MODEL_VERSION,
    DELIVERY,
    BATCH,
]


class Door(StrEnum):
    OPEN = "open"
    SHUT = "shut"
    GONE = "gone"


class Push(StrEnum):
    SHUT = "shut"
    OPEN = "open"
    REMOVE = "remove"


class Refused(XinyongError):
    def __init__(self, current: object, action: object) -> None:
        super().__init__(code="door.refused", title=f"不能{action}", status=409)


class Lost(XinyongError):
    def __init__(self) -> None:
        super().__init__(code="door.lost", title="已被他人处理", status=409)


DOOR = Workflow(
    name="door",
    statuses=Door,
    moves={
        (Door.OPEN, Push.SHUT): Door.SHUT,
        (Door.SHUT, Push.OPEN): Door.OPEN,
        (Door.SHUT, Push.REMOVE): frozenset({Door.GONE, Door.SHUT}),
    },
    terminal=frozenset({Door.GONE}),
    refused=Refused,
    lost=Lost,
)


def test_a_move_the_table_allows_leads_to_its_status():
    assert DOOR.require("open", Push.SHUT) is Door.SHUT
    assert DOOR.target("shut", Push.OPEN) is Door.OPEN


def test_a_move_the_table_forbids_raises_the_domains_own_refusal():
    with pytest.raises(Refused) as refused:
        DOOR.require("open", Push.OPEN)
    assert refused.value.status == 409 and refused.value.code == "door.refused"


def test_a_move_with_a_choice_takes_only_a_status_the_table_offers():
    assert DOOR.require("shut", Push.REMOVE, to=Door.GONE) is Door.GONE
    with pytest.raises(Refused):
        DOOR.require("shut", Push.REMOVE, to=Door.OPEN)
    with pytest.raises(Refused):
        DOOR.require("shut", Push.REMOVE)  # ambiguous without a choice


def test_an_unknown_stored_status_is_refused_not_crashed():
    with pytest.raises(Refused):
        DOOR.require("ajar", Push.SHUT)


def test_pages_offer_exactly_the_actions_the_table_allows():
    assert DOOR.allowed_actions("shut") == [Push.OPEN, Push.REMOVE]
    assert DOOR.allowed_actions("gone") == []


def test_a_table_with_a_dead_end_that_is_not_terminal_is_refused_at_definition():
    with pytest.raises(WorkflowDefinitionError):
        Workflow(
            name="broken",
            statuses=Door,
            moves={(Door.OPEN, Push.SHUT): Door.SHUT},
            terminal=frozenset({Door.GONE}),
            refused=Refused,
            lost=Lost,
        )


def _every_pair():
    for workflow in [DOOR, *WORKFLOWS]:
        for status, action in workflow.pairs():
            yield pytest.param(workflow, status, action, id=f"{workflow.name}:{status}:{action}")


@pytest.mark.parametrize(("workflow", "status", "action"), list(_every_pair()))
def test_every_pair_is_allowed_or_refused_with_409(workflow: Workflow, status, action):
    targets = workflow.targets(status.value, action)
    if targets:
        assert targets <= set(workflow.statuses)
        assert status not in workflow.terminal
    else:
        with pytest.raises(XinyongError) as refused:
            workflow.require(status.value, action)
        assert refused.value.status == 409


@pytest.mark.parametrize("workflow", [DOOR, *WORKFLOWS], ids=lambda w: w.name)
def test_only_terminal_statuses_are_dead_ends(workflow: Workflow):
    assert dead_ends(workflow) == set(workflow.terminal)
    for status in workflow.terminal:
        assert workflow.allowed_actions(status.value) == []
