"""Every domain's setup, built once from one set of definitions and the deployment's settings,
and found by its type (``Setups.get``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from xinyong.access.scopes import ScopeDefinitions
from xinyong.catalog.loader import Catalog
from xinyong.checks.measures import MeasureCatalog
from xinyong.checks.service import CheckSetup
from xinyong.commitments.service import CommitmentSetup
from xinyong.commitments.templates import TemplateBook
from xinyong.config import Settings
from xinyong.credit_file.setup import CreditFileSetup
from xinyong.lists.definitions import ListDefinitions
from xinyong.objections.intake import IntakeLimits
from xinyong.objections.setup import ObjectionSetup
from xinyong.repair.rules import RepairRules
from xinyong.repair.setup import ProofLimits, RepairSetup, RepairStatuses
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.sync.outbox import SyncOutbox
from xinyong.sync.platforms import Platforms
from xinyong.wiring.definitions import Definitions

T = TypeVar("T")


class NotWired(LookupError):
    """A handler or command asked for a type the wiring does not build: a programming error
    (add the type to ``build_setups``), never a user's."""


@dataclass(frozen=True)
class Setups:
    """The setups of one set of definitions in force."""

    definitions: Definitions
    by_type: Mapping[object, object]

    def get(self, kind: type[T]) -> T:
        """The setup of type ``kind``; a type nobody wired is a programming error."""
        try:
            return cast(T, self.by_type[kind])
        except KeyError:
            raise NotWired(f"no setup of type {kind!r} is wired") from None


def _check_setup(d: Definitions, settings: Settings) -> CheckSetup:
    return CheckSetup(
        catalog=d.catalog,
        scorecards=d.scorecards,
        lists=d.lists,
        measures=d.measures,
        secret=settings.hmac_key,
    )


def build_setups(d: Definitions, settings: Settings) -> Setups:
    """Build each setup once; those that decide as a check share one ``CheckSetup``, and
    those that tell the credit platforms share one outbox."""
    checks = _check_setup(d, settings)
    outbox = SyncOutbox(d.platforms)
    commitments = CommitmentSetup(
        checks=checks, templates=d.templates, strict_org_code=settings.strict_org_code
    )
    repair_statuses = RepairStatuses(d.repair_rules)
    repair = RepairSetup(
        catalog=d.catalog,
        rules=d.repair_rules,
        scorecards=d.scorecards,
        outbox=outbox,
        commitments=commitments,
        secret=settings.hmac_key,
        proofs=ProofLimits.from_settings(settings),
    )
    objections = ObjectionSetup(
        catalog=d.catalog,
        secret=settings.hmac_key,
        scorecards=d.scorecards,
        outbox=outbox,
        strict_org_code=settings.strict_org_code,
        limits=ObjectionSetup.limits_from(settings),
        intake=IntakeLimits.from_settings(settings),
    )
    by_type: dict[object, object] = {
        Definitions: d,
        Catalog: d.catalog,
        ScorecardsInForce: d.scorecards,
        ListDefinitions: d.lists,
        ScopeDefinitions: d.scopes,
        MeasureCatalog: d.measures,
        RepairRules: d.repair_rules,
        TemplateBook: d.templates,
        Platforms: d.platforms,
        SyncOutbox: outbox,
        RepairStatuses: repair_statuses,
        CreditFileSetup: CreditFileSetup(
            lists=d.lists,
            scopes=d.scopes,
            repair_status=repair_statuses,
            scorecards=d.scorecards,
        ),
        CheckSetup: checks,
        CommitmentSetup: commitments,
        RepairSetup: repair,
        ObjectionSetup: objections,
    }
    return Setups(definitions=d, by_type=by_type)
