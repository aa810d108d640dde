"""The workflow kit: one shape for every stateful domain (STYLE.md, workflow state machines).

A domain declares one :class:`Workflow` per thing that moves (a repair task, an objection, a
delivery, a model version …): its table of allowed moves keyed ``(status, action)``, the
statuses it ends in, and how it says no in Chinese. :func:`move` is the only way a row changes
status: it looks the move up in the table (409 from the domain when the table forbids it), then
writes the new status by compare-and-set through :func:`xinyong.db.compare_and_set` (409 when
another mover won, also on SQLite's busy snapshot). :class:`EventLog` gives every event table the
same columns, :func:`append_event` the one way to write a row of it and :func:`histories` the one
way to read rows back as :class:`EventRead`.

Pages build their buttons from :meth:`Workflow.allowed_actions`, never from a second table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, declared_attr, mapped_column

from xinyong.db import UTCDateTime, compare_and_set
from xinyong.errors import XinyongError

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)
E = TypeVar("E", bound="EventLog")

# A move leads to one status, or (a delivery's failed attempt) to one of a few the caller picks.
Target = Any


class WorkflowDefinitionError(ValueError):
    """A transition table that contradicts itself (a developer's mistake, found at import)."""


@dataclass(frozen=True)
class Moved(Generic[S, A]):
    """One move as it happened: the action and the statuses before (None at creation) and after."""

    action: A
    from_status: S | None
    to_status: S


@dataclass(frozen=True)
class Workflow(Generic[S, A]):
    """One table of allowed moves and the errors a refused or lost move raises.

    ``moves`` maps ``(status, action)`` to the status the action leads to (or a frozenset of the
    statuses it may lead to, the caller naming one). ``terminal`` are the statuses nothing leaves;
    every other status must have a way out, so that no row can get stuck (checked here).
    ``refused(current, action)`` and ``lost()`` build the domain's own 409 errors, keeping its
    stable codes and Chinese messages.
    """

    name: str
    statuses: type[S]
    moves: Mapping[tuple[S, A], S | frozenset[S]]
    terminal: frozenset[S]
    refused: Callable[[S, A], XinyongError]
    lost: Callable[[], XinyongError]
    labels: Mapping[S, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = dead_ends(self) ^ set(self.terminal)
        if problems:
            raise WorkflowDefinitionError(
                f"{self.name}: statuses that are dead ends but not terminal, or terminal but "
                f"left again: {sorted(problems)}"
            )

    def status(self, value: str) -> S | None:
        """The status stored as ``value``; None for a value this workflow does not know."""
        try:
            return self.statuses(value)
        except ValueError:
            return None

    def targets(self, current: str, action: A) -> frozenset[S]:
        """The statuses ``action`` may lead to from ``current``; empty when the table forbids it."""
        status = self.status(current)
        found = None if status is None else self.moves.get((status, action))
        if found is None:
            return frozenset()
        return found if isinstance(found, frozenset) else frozenset({found})

    def target(self, current: str, action: A) -> S | None:
        """Where ``action`` takes a row in ``current``; None when forbidden (or ambiguous)."""
        found = self.targets(current, action)
        return next(iter(found)) if len(found) == 1 else None

    def allowed_actions(self, current: str) -> list[A]:
        """The actions the table allows from ``current``, in table order (what pages offer)."""
        return [action for (status, action) in self.moves if status.value == current]

    def label(self, value: str) -> str:
        """How pages and the API name a stored status (the value itself when it has none)."""
        status = self.status(value)
        return self.labels.get(status, value) if status is not None else value

    def is_terminal(self, current: str) -> bool:
        status = self.status(current)
        return status is not None and status in self.terminal

    def require(self, current: str, action: A, to: S | None = None) -> S:
        """The status ``action`` leads to from ``current`` (``to`` when the table offers a
        choice); the domain's refusal when the table forbids it."""
        found = self.targets(current, action)
        chosen = to if to is not None else (next(iter(found)) if len(found) == 1 else None)
        if chosen is None or chosen not in found:
            status = self.status(current)
            raise self.refused(status if status is not None else current, action)  # type: ignore[arg-type]
        return chosen

    def pairs(self) -> Iterator[tuple[S, A]]:
        """Every (status, action) pair over this workflow's statuses and actions."""
        actions = {action for (_, action) in self.moves}
        for status in self.statuses:
            for action in sorted(actions):
                yield status, action


def dead_ends(workflow: Workflow[Any, Any]) -> set[Any]:
    """Statuses no action leaves (they must be exactly the terminal ones)."""
    left = {status for (status, _) in workflow.moves}
    return {status for status in workflow.statuses if status not in left}


def move(
    session: Session,
    workflow: Workflow[S, A],
    row: Any,
    action: A,
    *,
    to: S | None = None,
    values: Mapping[str, object] | None = None,
) -> Moved[S, A]:
    """Move ``row`` (a mapped object with ``id`` and ``status``) by ``action`` along the table.

    Compare-and-set: the UPDATE matches only the row as it was read, by its ``version`` column
    when the table has one (bumped by one) or else by its status, and writes ``values`` with the
    new status. A table whose ``version`` means something else (a model's version number) sets
    ``__move_by_status__ = True``. The row is expired afterwards, so the next read sees the new
    state.
    """
    current = row.status  # read first: the UPDATE changes the row behind the object
    target = workflow.require(current, action, to)
    model = type(row)
    changes: dict[str, object] = {"status": target.value, **dict(values or {})}
    statement = update(model).where(model.id == row.id)
    if hasattr(model, "version") and not getattr(model, "__move_by_status__", False):
        statement = statement.where(model.version == row.version)
        changes["version"] = row.version + 1
    else:
        statement = statement.where(model.status == current)
    if not compare_and_set(session, statement.values(**changes)):
        raise workflow.lost()
    session.expire(row)
    return Moved(action=action, from_status=workflow.status(current), to_status=target)


class EventLog:
    """The columns every event table shares: the move (action, from, to), who and when.

    A table sets ``__action_length__`` and ``__status_length__`` to the widths its migration
    gave them, and adds its own foreign key and detail columns."""

    __action_length__: ClassVar[int] = 16
    __status_length__: ClassVar[int] = 16

    id: Mapped[int] = mapped_column(Integer, primary_key=True)

    @declared_attr
    def action(cls) -> Mapped[str]:
        return mapped_column(String(cls.__action_length__))

    @declared_attr
    def from_status(cls) -> Mapped[str | None]:
        return mapped_column(String(cls.__status_length__))

    @declared_attr
    def to_status(cls) -> Mapped[str]:
        return mapped_column(String(cls.__status_length__))

    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


def append_event(
    session: Session,
    event_type: type[E],
    moved: Moved[Any, Any],
    *,
    actor: str,
    at: datetime,
    **columns: object,
) -> E:
    """Add one row to ``event_type``'s log for ``moved``: history, SLA clock and audit trail
    read the same rows. ``columns`` are the table's own (its parent's id, a note …)."""
    row: dict[str, Any] = {
        "action": moved.action.value,
        "from_status": None if moved.from_status is None else moved.from_status.value,
        "to_status": moved.to_status.value,
        "actor": actor,
        "at": at,
        **columns,
    }
    event = event_type(**row)
    session.add(event)
    return event


# One event as a reader sees it: the move, who made it, when, and its note. (No docstring: it
# would become the schema's description in the OpenAPI document, which stays as it was.)
class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str
    note: str | None


def histories(
    session: Session, parent_key: InstrumentedAttribute[int], parent_ids: Collection[int]
) -> dict[int, list[EventRead]]:
    """Each parent's events, oldest first (ties in the order they were written), in one query.

    ``parent_key`` is the event table's column naming its parent (``RepairEvent.application_id``);
    a parent without events maps to an empty list."""
    event_type = parent_key.class_
    found: dict[int, list[EventRead]] = defaultdict(list)
    for event in session.scalars(
        select(event_type).where(parent_key.in_(parent_ids)).order_by(event_type.at, event_type.id)
    ):
        found[getattr(event, parent_key.key)].append(EventRead.model_validate(event))
    return found
