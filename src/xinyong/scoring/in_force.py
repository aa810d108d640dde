"""The scorecards in force, as one type the wiring hands out (``provide(ScorecardsInForce)``),
and the check that a publication leaves the definitions resting on them loadable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from xinyong.errors import XinyongError
from xinyong.http.deps import provide
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.errors import BreaksDefinitions


class ScorecardsInForce(dict[str, LoadedScorecard]):
    """Model id → the model in force: the shipped file, replaced by a published database
    version of the same id when that version is higher (``lifecycle.published_scorecards``)."""


ScorecardsDep = Annotated[ScorecardsInForce, Depends(provide(ScorecardsInForce))]


def refuse_breaking_publication(
    validate: Callable[[], None], *, model_id: str, version: int
) -> None:
    """Run ``validate`` (the definitions in force built over the publishing transaction) and
    turn a definition it could not load into a refusal of the publication (409), before the
    transaction commits and every process fails to load it."""
    try:
        validate()
    except XinyongError as exc:
        raise BreaksDefinitions(model_id, version, exc) from None
