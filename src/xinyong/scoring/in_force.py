"""The scorecards in force, as one type the wiring hands out (``provide(ScorecardsInForce)``)."""

from __future__ import annotations

from xinyong.rules.loader import LoadedScorecard


class ScorecardsInForce(dict[str, LoadedScorecard]):
    """Model id → the model in force: the shipped file, replaced by a published database
    version of the same id when that version is higher (``lifecycle.published_scorecards``)."""
