"""What a request or a command asks of the wiring, without knowing the domains.

The concrete wiring (``xinyong.wiring``) sits above every domain; the HTTP dependencies and
the command context sit below them. These protocols are the contract between the two: a
holder that, given the caller's session, answers with the definitions in force (rebuilt when
something new was published), and from those a setup by its type.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class Wired(Protocol):
    """The setups built from one set of definitions in force."""

    def get(self, kind: type[T]) -> T: ...


class WiringSource(Protocol):
    """Holds the definitions in force for one process."""

    def fresh(self, session: Session) -> Wired:
        """The setups for what is published now, as ``session`` sees it."""
        ...

    def validate(self, session: Session) -> None:
        """Build the definitions as ``session`` sees them (its own uncommitted changes too)
        without keeping them: raises whatever a process would raise when it rebuilds."""
        ...
