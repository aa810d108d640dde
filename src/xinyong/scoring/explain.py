"""Explaining a score: every item's points, the records behind it and its legal basis.

The parts come from the same compiled select as the score, and the records behind an item
from the same filter, so the explanation can never disagree with the number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import Polarity
from xinyong.records.describe import TITLE_FIELDS, View, shown_text, visible
from xinyong.records.models import Record
from xinyong.rules.facts import Fact, Measure, fact_records
from xinyong.rules.loader import LoadedScorecard
from xinyong.rules.scorecard import Bonus, Indicator
from xinyong.scoring.schemas import (
    Adjustment,
    ItemExplanation,
    ModelScore,
    RecordRef,
    VetoExplanation,
)
from xinyong.scoring.service import ScoreRow

MAX_RECORDS_PER_ITEM = 50
LOWERS_MOST = 3


@dataclass(frozen=True)
class Disclosure:
    """What an authorized third party may be told of the records behind a score: records of
    the granted ``record_types`` that are in publicity, persons' names masked; the rest are
    counted without detail."""

    record_types: frozenset[str]
    hidden_names: Sequence[str] = ()

    def shows(self, record: Record, as_of: date) -> bool:
        return record.record_type in self.record_types and visible(record, View.AUTHORIZED, as_of)

    def shows_value(self, fact: Fact) -> bool:
        """A count or sum over other scopes' records is a number without detail; the latest
        value of one (a tax rating, a colour) is detail."""
        return fact.measure is not Measure.LATEST or set(fact.record_types) <= self.record_types


def _ref(
    record: Record, catalog: Catalog, *, with_repair: bool, hidden_names: Sequence[str] = ()
) -> RecordRef:
    rt = catalog.get(record.record_type)
    values = record.fields or {}
    title = next((str(values[k]) for k in TITLE_FIELDS if values.get(k)), rt.name if rt else "")
    return RecordRef(
        id=record.id,
        record_type=record.record_type,
        type_name=rt.name if rt else record.record_type,
        title=shown_text(title, hidden_names=hidden_names),
        decided_on=record.decided_on,
        repair_possible_from=(
            record.repair_possible_from if with_repair and record.polarity == Polarity.BAD else None
        ),
    )


def _records(
    session: Session,
    fact: Fact,
    catalog: Catalog,
    *,
    subject_id: int,
    as_of: date,
    with_repair: bool,
    disclosure: Disclosure | None,
) -> tuple[list[RecordRef], int]:
    """The records behind ``fact`` that may be named, and how many others there are."""
    behind = fact_records(fact, catalog)
    rows = list(
        session.scalars(behind.select.limit(MAX_RECORDS_PER_ITEM), behind.params(as_of, subject_id))
    )
    if disclosure is None:
        return [_ref(r, catalog, with_repair=with_repair) for r in rows], 0
    named = [
        _ref(r, catalog, with_repair=False, hidden_names=disclosure.hidden_names)
        for r in rows
        if disclosure.shows(r, as_of)
    ]
    return named, len(rows) - len(named)


def _effect(cap: Decimal | None, grade: str | None) -> str:
    parts = []
    if cap is not None:
        parts.append(f"总分不超过 {cap}")
    if grade is not None:
        parts.append(f"等级定为“{grade}”")
    return "，".join(parts)


def _items(
    session: Session,
    loaded: LoadedScorecard,
    catalog: Catalog,
    row: ScoreRow,
    *,
    as_of: date,
    self_view: bool,
    disclosure: Disclosure | None,
) -> list[ItemExplanation]:
    """Every indicator and bonus item: its value, points, points lost, basis and records."""
    card = loaded.scorecard
    entries: list[tuple[Indicator | Bonus, str | None, str]] = [
        (ind, dim.name, "indicator") for dim in card.dimensions for ind in dim.indicators
    ]
    entries += [(b, None, "bonus") for b in card.bonus]
    items: list[ItemExplanation] = []
    for item, dimension, kind in entries:
        points = row.points(item.id)
        lost = item.max_points - points if kind == "indicator" else Decimal("0.00")
        records, undisclosed = _records(
            session,
            item.fact,
            catalog,
            subject_id=row.subject_id,
            as_of=as_of,
            with_repair=self_view,
            disclosure=disclosure,
        )
        shows_value = disclosure is None or disclosure.shows_value(item.fact)
        items.append(
            ItemExplanation(
                id=item.id,
                kind=kind,
                name=item.name,
                dimension=dimension,
                max_points=item.max_points,
                value=row.parts[item.id]["value"] if shows_value else None,
                points=points,
                lost=lost.quantize(Decimal("0.01")),
                reference=item.reference,
                records=records,
                undisclosed_records=undisclosed,
            )
        )
    return items


def _for_the_subject(score: ModelScore, as_of: date) -> None:
    """What the subject itself is also told: what lowers the score most, and when each record
    behind it may be repaired."""
    costly = sorted((i for i in score.items if i.lost > 0), key=lambda i: i.lost, reverse=True)
    score.lowers_most = [f"{i.name}（扣 {i.lost} 分）" for i in costly[:LOWERS_MOST]]
    seen: dict[int, RecordRef] = {}
    for i in score.items:
        for r in i.records:
            if r.repair_possible_from is not None:
                seen[r.id] = r
    score.repair_dates = sorted(seen.values(), key=lambda r: r.repair_possible_from or as_of)


def explain(
    session: Session,
    loaded: LoadedScorecard,
    catalog: Catalog,
    row: ScoreRow,
    *,
    as_of: date,
    self_view: bool,
    disclosure: Disclosure | None = None,
) -> ModelScore:
    """The explanation of ``row`` (computed by the compiled select for ``as_of``): in full,
    or for an authorized third party within ``disclosure``."""
    card = loaded.scorecard
    items = _items(
        session,
        loaded,
        catalog,
        row,
        as_of=as_of,
        self_view=self_view,
        disclosure=disclosure,
    )
    vetoes = [
        VetoExplanation(
            id=v.id,
            name=v.name,
            indicator=v.indicator,
            triggered=bool(row.parts[v.id]["veto"]),
            effect=_effect(v.effect.cap, v.effect.grade),
            reference=v.reference,
        )
        for v in card.veto
    ]
    gap = row.total - sum((i.points for i in items), Decimal("0.00"))
    adjustments = []
    if gap:
        capped = [v.name for v in vetoes if v.triggered and "总分不超过" in v.effect]
        reason = (
            f"一票否决封顶：{'、'.join(capped)}"
            if capped
            else f"总分限于 {card.score.min}–{card.score.max}"
        )
        adjustments.append(Adjustment(reason=reason, points=gap))
    score = ModelScore(
        model_id=card.id,
        model_name=card.name,
        model_version=card.version,
        definition_hash=loaded.definition_hash,
        as_of=as_of,
        total=row.total,
        grade=row.grade,
        items=items,
        vetoes=vetoes,
        adjustments=adjustments,
        reference=card.reference,
    )
    if self_view:
        _for_the_subject(score, as_of)
    return score
