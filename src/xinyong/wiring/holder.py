"""The wiring a process holds: the definitions in force and their setups, rebuilt when the
stamp of what is published changes, so a publication made through one server process (or the
command line) is served by every other from its next request, without a restart.

Nothing is written to the app on publication: the publishing request commits, and the next
request of any process reads a new stamp and rebuilds. The holder replaces its setups as one
object, so a request sees one consistent set from start to end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog, default_catalog
from xinyong.config import Settings, get_settings
from xinyong.db import unit_of_work
from xinyong.rules.loader import LoadedScorecard
from xinyong.wiring.definitions import Shipped, load_definitions, load_shipped
from xinyong.wiring.setups import Setups, build_setups
from xinyong.wiring.stamp import published_stamp


class Wiring:
    """Definitions in force for one process (``xinyong.kit.wiring.WiringSource``)."""

    def __init__(
        self,
        shipped: Shipped,
        settings: Settings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shipped = shipped
        self.settings = settings
        self._monotonic = monotonic
        self._setups: Setups | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        settings: Settings,
        engine: Engine,
        catalog: Catalog | None = None,
        *,
        scorecards: Mapping[str, LoadedScorecard] | None = None,
    ) -> Wiring:
        """Read every definition now, so a bad file or database stops the server at start."""
        shipped = load_shipped(settings, catalog or default_catalog(), scorecards=scorecards)
        wiring = cls(shipped, settings)
        with unit_of_work(engine) as session:
            wiring.fresh(session)
        return wiring

    @property
    def held(self) -> Setups:
        """The setups last built, without asking the database (after ``load``)."""
        if self._setups is None:
            raise RuntimeError("the wiring has not been loaded")
        return self._setups

    def fresh(self, session: Session) -> Setups:
        """The setups for what is published now: the ones held, unless the stamp read through
        ``session`` differs from theirs (then rebuilt once, whoever asks first)."""
        held = self._setups
        now = self._monotonic()
        if held is not None and now - self._checked_at < self.settings.definitions_ttl_seconds:
            return held
        if held is None or published_stamp(session) != held.definitions.stamp:
            held = self._rebuild(session)
        self._checked_at = now
        return held

    def validate(self, session: Session) -> None:
        """Build over ``session`` without keeping the result (a publication about to commit)."""
        build_setups(load_definitions(session, self.shipped), self.settings)

    def _rebuild(self, session: Session) -> Setups:
        with self._lock:
            held = self._setups
            # Another thread may have rebuilt while this one waited for the lock.
            if held is None or published_stamp(session) != held.definitions.stamp:
                held = build_setups(load_definitions(session, self.shipped), self.settings)
                self._setups = held
            return held


class CommandWiring:
    """The wiring of one command: read on first use, so a command that needs no definitions
    reads none (and is not stopped by a definition it does not use)."""

    def __init__(self, make: Callable[[], Wiring] | None = None) -> None:
        self._make = make or _from_environment
        self._wiring: Wiring | None = None

    def fresh(self, session: Session) -> Setups:
        """As ``Wiring.fresh``, reading the definition files on the first call."""
        if self._wiring is None:
            self._wiring = self._make()
        return self._wiring.fresh(session)

    def validate(self, session: Session) -> None:
        """As ``Wiring.validate``, reading the definition files on the first call."""
        if self._wiring is None:
            self._wiring = self._make()
        self._wiring.validate(session)


def _from_environment() -> Wiring:
    settings = get_settings()
    return Wiring(load_shipped(settings, default_catalog()), settings)
