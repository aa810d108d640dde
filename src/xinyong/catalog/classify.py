"""Per-record judgements from the catalog: polarity, severity and the publicity window.

Pure functions of the record's normalised values, its decision date and the sector of its
source department; they never read the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from xinyong.catalog.loader import Catalog
from xinyong.catalog.schemas import (
    Condition,
    Polarity,
    PublicityKind,
    RecordType,
    Regime,
    Severity,
)
from xinyong.kit.dates import add_months


def condition_holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    value = values.get(cond.field)
    if cond.present is not None and (value not in (None, "", [])) != cond.present:
        return False
    items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
    if cond.in_ is not None and not any(str(v) in cond.in_ for v in items):
        return False
    if cond.only is not None and not (items and all(str(v) in cond.only for v in items)):
        return False
    if cond.lt is not None or cond.gte is not None:
        if not isinstance(value, Decimal | int):
            return False
        if cond.lt is not None and not value < cond.lt:
            return False
        if cond.gte is not None and not value >= cond.gte:
            return False
    return True


def all_hold(conds: Sequence[Condition], values: Mapping[str, Any]) -> bool:
    return all(condition_holds(c, values) for c in conds)


def polarity_of(rt: RecordType, values: Mapping[str, Any]) -> Polarity:
    spec = rt.polarity
    if spec.field is not None:
        return spec.map.get(str(values.get(spec.field)), spec.default)
    return spec.default


def severity_of(rt: RecordType, values: Mapping[str, Any]) -> Severity | None:
    """The most severe matching rule, else the default; None for types without severity."""
    if rt.severity is None:
        return None
    matched = [r.severity for r in rt.severity.rules if all_hold(r.when, values)]
    return max(matched, key=lambda s: s.rank) if matched else rt.severity.default


@dataclass(frozen=True)
class Publicity:
    """When a record is shown publicly and from when it may be repaired.

    ``ends_on`` is the last day shown (None: open-ended). ``repair_possible_from`` is the first
    day an application for early end may be made: the day after the minimum period's last day
    (民法典 201–203; whether 信用中国 opens on the last day itself is unconfirmed, so xinyong
    takes the safe side), or None when the record can never end early.
    """

    publicised: bool
    starts_on: date | None
    ends_on: date | None
    repair_possible_from: date | None
    regime_id: str | None = None
    reason: str | None = None


NOT_PUBLICISED = "不予公示"


def _after_months(start: date, months: int) -> date:
    """The day after a period of ``months`` starting after ``start`` (``date.max`` at most)."""
    if months == 0:
        return start
    end = add_months(start, months)
    return end if end == date.max else end + timedelta(days=1)


def regime_for(
    catalog: Catalog, record_type: str, decided_on: date, sector: str | None
) -> Regime | None:
    """The regime judging a record: in force on its decision date, matching type and sector."""
    applicable = [
        r
        for r in catalog.regimes
        if record_type in r.record_types and (r.sectors is None or sector in r.sectors)
    ]
    if not applicable:
        return None
    in_force = [
        r
        for r in applicable
        if r.effective_from <= decided_on
        and (r.effective_to is None or decided_on <= r.effective_to)
    ]
    if not in_force:
        earliest = min(r.effective_from for r in applicable)
        if decided_on >= earliest:
            return None
        in_force = [r for r in applicable if r.effective_from == earliest]
    return max(in_force, key=lambda r: r.priority)


def publicity_of(
    catalog: Catalog,
    rt: RecordType,
    values: Mapping[str, Any],
    *,
    decided_on: date,
    sector: str | None,
    severity: Severity | None,
    polarity: Polarity,
) -> Publicity:
    spec = rt.publicity
    if spec.kind is PublicityKind.INTERNAL:
        return Publicity(False, None, None, None, reason="内部信息，不对社会公示")
    if spec.kind is PublicityKind.PERMANENT:
        return Publicity(True, decided_on, None, None)
    if spec.kind is PublicityKind.REGIME:
        return _regime_publicity(catalog, rt, values, decided_on, sector, severity)
    start = values.get(spec.start_field) if spec.start_field else decided_on
    start = start or decided_on
    end = values.get(spec.end_field) if spec.end_field else None
    if end is None and spec.default_months is not None:
        end = add_months(start, spec.default_months)
    repair = None
    if polarity is Polarity.BAD and spec.repair_after_months is not None:
        repair = _after_months(start, spec.repair_after_months)
    if spec.public_when and not all_hold(spec.public_when, values):
        return Publicity(False, None, None, repair, reason=NOT_PUBLICISED)
    return Publicity(True, start, end, repair)


def _regime_publicity(
    catalog: Catalog,
    rt: RecordType,
    values: Mapping[str, Any],
    decided_on: date,
    sector: str | None,
    severity: Severity | None,
) -> Publicity:
    regime = regime_for(catalog, rt.code, decided_on, sector)
    if regime is None or severity is None:
        return Publicity(False, None, None, None, reason="无适用的公示规则")
    cls = regime.classes[severity]
    if not cls.publicised or any(all_hold(c, values) for c in regime.not_publicised_when):
        return Publicity(False, None, None, None, regime.id, NOT_PUBLICISED)
    ends_on = add_months(decided_on, cls.max_months)
    if regime.restriction_end_field and all_hold(regime.restriction_when, values):
        restriction_end = values.get(regime.restriction_end_field)
        if isinstance(restriction_end, date) and restriction_end > ends_on:
            ends_on = restriction_end
    never_early = any(all_hold(c, values) for c in regime.no_early_end_when)
    repair = None
    if cls.min_months is not None and not never_early:
        repair = _after_months(decided_on, cls.min_months)
    return Publicity(True, decided_on, ends_on, repair, regime.id)


@dataclass(frozen=True)
class Classification:
    polarity: Polarity
    severity: Severity | None
    publicity: Publicity


def _severity_fields(rt: RecordType) -> tuple[str, ...]:
    if rt.severity is None:
        return ()
    return tuple(sorted({c.field for r in rt.severity.rules for c in r.when}))


def _publicity_fields(catalog: Catalog, rt: RecordType) -> tuple[str, ...]:
    spec = rt.publicity
    names = {f for f in (spec.start_field, spec.end_field) if f}
    names.update(c.field for c in spec.public_when)
    for regime in catalog.regimes:
        if rt.code in regime.record_types:
            names.update(regime.referenced_fields())
    return tuple(sorted(names))


def _key(values: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v := values.get(n), list) else v for n in names)


class Classifier:
    """Polarity, severity and publicity of records of one type from one source sector.

    Each judgement depends only on the few fields its rules name, which repeat across the rows
    of a file, so each is memoised on exactly those fields (severity on the penalty's kind and
    amount; publicity on the decision date, severity and the fields the regimes name).
    """

    MEMO_LIMIT = 100_000

    def __init__(self, catalog: Catalog, rt: RecordType, sector: str | None) -> None:
        self.catalog = catalog
        self.rt = rt
        self.sector = sector
        self._severity_fields = _severity_fields(rt)
        self._publicity_fields = _publicity_fields(catalog, rt)
        self._severity: dict[tuple[Any, ...], Severity | None] = {}
        self._publicity: dict[tuple[Any, ...], Publicity] = {}

    def classify(self, values: Mapping[str, Any], decided_on: date) -> Classification:
        polarity = polarity_of(self.rt, values)
        key = _key(values, self._severity_fields)
        try:
            severity = self._severity[key]
        except KeyError:
            severity = self._remember(self._severity, key, severity_of(self.rt, values))
        pkey = (decided_on, severity, polarity, *_key(values, self._publicity_fields))
        publicity = self._publicity.get(pkey)
        if publicity is None:
            publicity = self._remember(
                self._publicity,
                pkey,
                publicity_of(
                    self.catalog,
                    self.rt,
                    values,
                    decided_on=decided_on,
                    sector=self.sector,
                    severity=severity,
                    polarity=polarity,
                ),
            )
        return Classification(polarity, severity, publicity)

    def _remember(self, memo: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> Any:
        if len(memo) >= self.MEMO_LIMIT:
            memo.clear()
        memo[key] = value
        return value
