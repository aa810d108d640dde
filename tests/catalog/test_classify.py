"""Severity and publicity of penalties: DOMAIN.md §3.3 and §13 facts 11–14."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from factories.ingest import penalty_row
from xinyong.catalog.classify import (
    NOT_PUBLICISED,
    Publicity,
    polarity_of,
    publicity_of,
    regime_for,
    severity_of,
)
from xinyong.catalog.loader import default_catalog
from xinyong.catalog.schemas import Polarity, Severity
from xinyong.catalog.validation import RowValidator, map_header

CATALOG = default_catalog()
PENALTY = CATALOG.types["administrative_penalty"]
VALIDATOR = RowValidator(PENALTY)


def validated(**cf: str) -> dict[str, Any]:
    """A penalty row in CF_* columns, mapped and validated as ingestion does."""
    row = penalty_row(**cf)
    mapping = map_header(PENALTY, list(row))
    header = list(row)
    result = VALIDATOR.validate({name: row[header[i]] for i, name in mapping.columns})
    assert result.errors == []
    return result.values


def judge(sector: str | None, **cf: str) -> tuple[Severity | None, Publicity]:
    values = validated(**cf)
    severity = severity_of(PENALTY, values)
    publicity = publicity_of(
        CATALOG,
        PENALTY,
        values,
        decided_on=values["decision_date"],
        sector=sector,
        severity=severity,
        polarity=polarity_of(PENALTY, values),
    )
    return severity, publicity


class TestSeverity:
    @pytest.mark.parametrize(
        ("cf", "expected"),
        [
            ({"CF_CFCX": "简易程序", "CF_CFLB": "罚款", "CF_NR_FK": "0.02"}, Severity.MINOR),
            # 简易程序 wins over a category that alone would be 一般
            ({"CF_CFCX": "简易", "CF_CFLB": "罚款", "CF_NR_FK": "5"}, Severity.MINOR),
            ({"CF_CFLB": "警告", "CF_NR_FK": ""}, Severity.MINOR),
            ({"CF_CFLB": "警告;通报批评", "CF_NR_FK": ""}, Severity.MINOR),
            ({"CF_CFLB": "罚款", "CF_NR_FK": "0.5"}, Severity.MINOR),
            ({"CF_CFLB": "警告、罚款", "CF_NR_FK": "0.5"}, Severity.MINOR),
            ({"CF_CFLB": "罚款", "CF_NR_FK": "1"}, Severity.GENERAL),  # 1 万 is not below 1 万
            ({"CF_CFLB": "罚款", "CF_NR_FK": "5"}, Severity.GENERAL),
            ({"CF_CFLB": "罚款", "CF_NR_FK": ""}, Severity.GENERAL),  # amount unknown
            ({"CF_CFLB": "罚款;没收违法所得", "CF_NR_FK": "0.5"}, Severity.GENERAL),
            ({"CF_CFLB": "罚款;吊销许可证件", "CF_NR_FK": "5"}, Severity.SERIOUS),
            ({"CF_CFLB": "罚款;吊销许可证件", "CF_NR_FK": "0.5"}, Severity.SERIOUS),
            ({"CF_CFLB": "罚款", "CF_NR_FK": "150"}, Severity.SERIOUS),
            ({"CF_CFLB": "罚款", "CF_NR_FK": "100"}, Severity.SERIOUS),
            ({"CF_CFLB": "罚款", "CF_NR_FK": "99.99"}, Severity.GENERAL),
            ({"CF_CFLB": "责令停产停业", "CF_NR_FK": ""}, Severity.SERIOUS),
            ({"CF_CFLB": "吊销营业执照", "CF_NR_FK": ""}, Severity.SERIOUS),
        ],
        ids=lambda v: v.value if isinstance(v, Severity) else None,
    )
    def test_severity_of_penalty(self, cf, expected):
        assert severity_of(PENALTY, validated(**cf)) is expected

    def test_penalty_is_always_bad_information(self):
        assert polarity_of(PENALTY, validated()) is Polarity.BAD

    def test_types_without_severity_have_none(self):
        licence = CATALOG.types["administrative_licence"]
        assert severity_of(licence, {}) is None


OTHER_SECTOR = "environment"  # a sector no sector-specific regime names


class TestOrder36:
    """NDRC Order 36 / 国办发〔2025〕22号, in force from 2026-04-01 (fact 11)."""

    def test_general_penalty_publicity_and_repair(self):
        severity, pub = judge(OTHER_SECTOR, CF_JDRQ="2026-04-10", CF_NR_FK="5")
        assert severity is Severity.GENERAL
        assert pub == Publicity(
            publicised=True,
            starts_on=date(2026, 4, 10),
            ends_on=date(2027, 4, 10),
            # minimum period's last day is 2026-07-10; applications from the day after
            repair_possible_from=date(2026, 7, 11),
            regime_id="ndrc-order-36",
        )

    def test_serious_penalty_publicity_and_repair(self):
        severity, pub = judge(OTHER_SECTOR, CF_JDRQ="2026-04-10", CF_NR_FK="150")
        assert severity is Severity.SERIOUS
        assert (pub.publicised, pub.ends_on, pub.repair_possible_from) == (
            True,
            date(2029, 4, 10),
            date(2027, 4, 11),
        )
        assert pub.regime_id == "ndrc-order-36"

    def test_minor_penalty_is_not_publicised(self):
        severity, pub = judge(OTHER_SECTOR, CF_JDRQ="2026-04-10", CF_NR_FK="0.5")
        assert severity is Severity.MINOR
        assert pub.publicised is False
        assert pub.reason == NOT_PUBLICISED
        assert pub.ends_on is None

    def test_fine_plus_revocation_takes_the_serious_period(self):
        severity, pub = judge(
            OTHER_SECTOR, CF_JDRQ="2026-04-10", CF_CFLB="罚款;吊销许可证件", CF_NR_FK="0.5"
        )
        assert severity is Severity.SERIOUS
        assert (pub.ends_on, pub.repair_possible_from) == (date(2029, 4, 10), date(2027, 4, 11))

    def test_first_day_of_order_36(self):
        _, pub = judge(OTHER_SECTOR, CF_JDRQ="2026-04-01", CF_NR_FK="5")
        assert pub.regime_id == "ndrc-order-36"

    def test_month_end_decision_ends_on_last_day_of_short_month(self):
        # 民法典 Art 202: no corresponding day → the month's last day
        _, pub = judge(OTHER_SECTOR, CF_JDRQ="2026-05-31", CF_NR_FK="5")
        assert (pub.ends_on, pub.repair_possible_from) == (date(2027, 5, 31), date(2026, 9, 1))


class TestOrder58:
    """NDRC Order 58, 2023-05-01 … 2026-03-31 (fact 12)."""

    @pytest.mark.parametrize("sector", ["food", "drug", "special_equipment", "work_safety", "fire"])
    def test_key_sector_penalty_repairs_after_one_year(self, sector):
        severity, pub = judge(sector, CF_JDRQ="2024-06-01", CF_NR_FK="5")
        assert severity is Severity.GENERAL
        assert pub.regime_id == "ndrc-order-58-key-sectors"
        assert (pub.ends_on, pub.repair_possible_from) == (date(2027, 6, 1), date(2025, 6, 2))

    @pytest.mark.parametrize("sector", [OTHER_SECTOR, "tax", None])
    def test_other_sector_penalty_repairs_after_three_months(self, sector):
        _, pub = judge(sector, CF_JDRQ="2024-06-01", CF_NR_FK="5")
        assert pub.regime_id == "ndrc-order-58"
        assert (pub.ends_on, pub.repair_possible_from) == (date(2027, 6, 1), date(2024, 9, 2))

    def test_last_day_of_order_58(self):
        _, pub = judge("food", CF_JDRQ="2026-03-31", CF_NR_FK="5")
        assert pub.regime_id == "ndrc-order-58-key-sectors"

    def test_warning_only_is_not_publicised(self):
        _, pub = judge(OTHER_SECTOR, CF_JDRQ="2024-06-01", CF_CFLB="警告", CF_NR_FK="")
        assert (pub.publicised, pub.regime_id, pub.reason) == (
            False,
            "ndrc-order-58",
            NOT_PUBLICISED,
        )

    def test_simple_procedure_is_not_publicised(self):
        _, pub = judge(OTHER_SECTOR, CF_JDRQ="2024-06-01", CF_CFCX="简易程序", CF_NR_FK="0.01")
        assert pub.publicised is False


class TestSamrOrder45:
    """SAMR Order 45 for market-regulation departments, 2021-09-01 … 2025-12-24 (fact 14)."""

    def test_warning_only_is_not_publicised(self):
        _, pub = judge("market_regulation", CF_JDRQ="2024-03-15", CF_CFLB="警告", CF_NR_FK="")
        assert (pub.publicised, pub.regime_id) == (False, "samr-order-45")

    def test_revoked_business_licence_three_years_no_early_end(self):
        severity, pub = judge(
            "market_regulation", CF_JDRQ="2024-03-15", CF_CFLB="罚款;吊销营业执照", CF_NR_FK="5"
        )
        assert severity is Severity.SERIOUS
        assert pub == Publicity(
            publicised=True,
            starts_on=date(2024, 3, 15),
            ends_on=date(2027, 3, 15),
            repair_possible_from=None,
            regime_id="samr-order-45",
        )

    def test_low_fine_publicised_three_months(self):
        severity, pub = judge("market_regulation", CF_JDRQ="2024-03-15", CF_NR_FK="0.5")
        assert severity is Severity.MINOR
        assert (pub.publicised, pub.ends_on) == (True, date(2024, 6, 15))

    def test_restriction_longer_than_maximum_publicised_for_its_length(self):
        _, pub = judge(
            "market_regulation",
            CF_JDRQ="2024-03-15",
            CF_CFLB="限制从业",
            CF_NR_FK="",
            CF_YXQ="2029-03-15",
        )
        assert (pub.ends_on, pub.repair_possible_from) == (date(2029, 3, 15), None)

    def test_same_penalty_from_other_sector_follows_order_58(self):
        _, pub = judge(OTHER_SECTOR, CF_JDRQ="2024-03-15", CF_CFLB="罚款;吊销营业执照")
        assert pub.regime_id == "ndrc-order-58"
        assert pub.repair_possible_from == date(2024, 6, 16)


class TestRegimeChoice:
    def test_2018_decision_falls_back_to_earliest_regime(self):
        severity, pub = judge(OTHER_SECTOR, CF_JDRQ="2018-05-20", CF_NR_FK="5")
        assert severity is Severity.GENERAL
        assert pub.regime_id == "ndrc-2019-527"
        assert (pub.ends_on, pub.repair_possible_from) == (date(2019, 5, 20), date(2018, 8, 21))

    def test_2018_market_regulation_decision_also_falls_back_to_earliest(self):
        regime = regime_for(
            CATALOG, "administrative_penalty", date(2018, 5, 20), "market_regulation"
        )
        assert regime is not None
        assert regime.id == "ndrc-2019-527"

    @pytest.mark.parametrize(
        ("decided_on", "sector", "regime_id"),
        [
            (date(2019, 7, 1), None, "ndrc-2019-527"),
            (date(2023, 4, 30), None, "ndrc-2019-527"),
            (date(2023, 5, 1), None, "ndrc-order-58"),
            (date(2023, 5, 1), "fire", "ndrc-order-58-key-sectors"),
            (date(2026, 3, 31), None, "ndrc-order-58"),
            (date(2026, 4, 1), "food", "ndrc-order-36"),
            (date(2021, 9, 1), "market_regulation", "samr-order-45"),
            (date(2025, 12, 24), "market_regulation", "samr-order-45"),
            (date(2025, 12, 25), "market_regulation", "samr-order-107"),
            (date(2026, 4, 10), "market_regulation", "samr-order-107"),
        ],
    )
    def test_regime_in_force_on_decision_date(self, decided_on, sector, regime_id):
        regime = regime_for(CATALOG, "administrative_penalty", decided_on, sector)
        assert regime is not None
        assert regime.id == regime_id

    def test_type_without_regime_has_none(self):
        assert regime_for(CATALOG, "administrative_licence", date(2024, 1, 1), None) is None


class TestValidityPublicity:
    def test_licence_shown_from_decision_to_end_of_validity(self):
        licence = CATALOG.types["administrative_licence"]
        values = {"decision_date": date(2024, 3, 1), "valid_to": date(2029, 2, 28)}
        pub = publicity_of(
            CATALOG,
            licence,
            values,
            decided_on=date(2024, 3, 1),
            sector=None,
            severity=None,
            polarity=Polarity.BASIC,
        )
        assert pub == Publicity(True, date(2024, 3, 1), date(2029, 2, 28), None)
