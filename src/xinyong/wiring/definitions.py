"""The definitions in force: the shipped files, read once per process, overlaid with what was
published in the database, read again whenever the stamp says it changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from xinyong.access.scopes import ScopeDefinitions, load_scopes
from xinyong.catalog.loader import Catalog
from xinyong.checks.measures import MeasureCatalog, load_measures
from xinyong.commitments.templates import TemplateBook, shipped_templates
from xinyong.config import Settings
from xinyong.lists.definitions import ListDefinitions
from xinyong.lists.definitions import load_definitions as load_lists
from xinyong.repair.rules import RepairRules
from xinyong.repair.rules import load_rules as load_repair_rules
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.lifecycle import published_scorecards
from xinyong.scoring.shipped import load_all
from xinyong.sync.platforms import Platforms, load_platforms
from xinyong.wiring.stamp import Stamp, published_stamp


@dataclass(frozen=True)
class Shipped:
    """The definition files of this installation; they change only with a new release."""

    catalog: Catalog
    scorecards: Mapping[str, LoadedScorecard]
    lists: ListDefinitions
    scopes: ScopeDefinitions
    repair_rules: RepairRules
    templates: TemplateBook
    platforms: Platforms


def load_shipped(
    settings: Settings,
    catalog: Catalog,
    *,
    scorecards: Mapping[str, LoadedScorecard] | None = None,
) -> Shipped:
    """Read and validate every shipped definition file (failing loudly at start-up on a bad
    one); ``scorecards`` join the shipped models, replacing any of the same id (tests)."""
    return Shipped(
        catalog=catalog,
        scorecards={**load_all(catalog), **(scorecards or {})},
        lists=load_lists(catalog),
        scopes=load_scopes(catalog),
        repair_rules=load_repair_rules(catalog),
        templates=shipped_templates(catalog),
        platforms=load_platforms(settings),
    )


@dataclass(frozen=True)
class Definitions:
    """Everything in force, and the stamp of the publications it was read at."""

    catalog: Catalog
    scorecards: ScorecardsInForce
    lists: ListDefinitions
    scopes: ScopeDefinitions
    measures: MeasureCatalog
    repair_rules: RepairRules
    templates: TemplateBook
    platforms: Platforms
    stamp: Stamp


def load_definitions(session: Session, shipped: Shipped) -> Definitions:
    """The shipped definitions with the published models over them, and the measures checked
    again against those models (a measure names a model and its grades)."""
    # The stamp first: a publication committed while the rest is read is then seen as a
    # change by the next request, never missed.
    stamp = published_stamp(session)
    scorecards = ScorecardsInForce(
        published_scorecards(session, shipped.catalog, shipped.scorecards)
    )
    return Definitions(
        catalog=shipped.catalog,
        scorecards=scorecards,
        lists=shipped.lists,
        scopes=shipped.scopes,
        measures=load_measures(scorecards, shipped.lists),
        repair_rules=shipped.repair_rules,
        templates=shipped.templates,
        platforms=shipped.platforms,
        stamp=stamp,
    )
