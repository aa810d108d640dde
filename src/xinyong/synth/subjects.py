"""Synthetic subjects (organisations with valid USCCs, persons with valid resident ID numbers),
the source departments, and the context the row builders draw from.

All randomness comes from the caller's ``random.Random``; department codes are derived from
their names alone, so every seed uses the same departments.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Final, NamedTuple

from xinyong.kit.identifiers import (
    RIC_CHECK,
    RIC_WEIGHTS,
    USCC_ALPHABET,
    org_code_check_char,
    uscc_check_char,
)
from xinyong.synth import names, texts

PERSON: Final = "自然人"
ORGANISATION: Final = "法人及非法人组织"
INDIVIDUAL: Final = "个体工商户"
RESIDENT_ID: Final = "身份证"
FIRST_DAY: Final = date(2019, 1, 1)
LAST_DAY: Final = date(2026, 10, 31)
RATING_YEARS: Final = tuple(range(2019, 2026))
_BODY_CHARS: Final = USCC_ALPHABET

Row = dict[str, str]


# --- identifiers -------------------------------------------------------------------------


def uscc_from_body(prefix2: str, area: str, body8: str) -> str:
    """A USCC whose position 17 is the GB 11714 check of ``body8`` and 18 the mod-31 check."""
    first17 = prefix2 + area + body8 + org_code_check_char(body8)
    return first17 + uscc_check_char(first17)


def random_org_body(rng: random.Random, *, legacy: bool) -> str:
    """8 symbols: an old numeric 组织机构代码 body, or the ``MA…`` form issued since 2015."""
    if legacy:
        return f"{rng.randrange(10**8):08d}"
    return "MA2" + "".join(rng.choice(_BODY_CHARS) for _ in range(5))


def resident_id(rng: random.Random, *, born_from: date, born_to: date) -> str:
    area = rng.choice(names.ID_AREAS)
    born = born_from + timedelta(days=rng.randrange((born_to - born_from).days + 1))
    body = f"{area}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    total = sum(int(d) * w for d, w in zip(body, RIC_WEIGHTS, strict=True))
    return body + RIC_CHECK[total % 11]


def department_uscc(prefix2: str, code: str) -> str:
    """A stable code per department, independent of the seed (so reloading finds it again)."""
    digest = int(hashlib.sha256(code.encode()).hexdigest(), 16)
    return uscc_from_body(prefix2, texts.CITY, f"{digest % 10**8:08d}")


# --- subjects and departments ------------------------------------------------------------


class Department(NamedTuple):
    code: str
    name: str
    uscc: str
    sector: str
    key: str
    abbr: str


DEPARTMENTS: Final = {
    spec.key: Department(
        code=f"{texts.CITY}-{spec.key}",
        name=spec.name,
        uscc=department_uscc(spec.uscc_prefix, f"{texts.CITY}-{spec.key}"),
        sector=spec.sector,
        key=spec.key,
        abbr=spec.abbr,
    )
    for spec in texts.DEPARTMENT_SPECS
}


class Org(NamedTuple):
    """An organisation or 个体工商户 as later records refer to it (compact: kept in memory)."""

    uscc: str
    name: str
    category: str
    kind: str  # company, individual, coop, social, institution, government
    legal_rep: str
    legal_rep_id: str
    district: int


class Person(NamedTuple):
    name: str
    id_number: str


ORG_KINDS: Final = (
    ("company", 70),
    ("individual", 20),
    ("coop", 3),
    ("social", 4),
    ("institution", 2),
    ("government", 1),
)
_ORG_KIND_NAMES = tuple(k for k, _ in ORG_KINDS)
_ORG_KIND_CUM = tuple(itertools.accumulate(w for _, w in ORG_KINDS))
MARKET_KINDS: Final = frozenset({"company", "individual", "coop"})
RATED_KINDS: Final = frozenset({"company", "coop"})


def day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def new_person(rng: random.Random, used_ids: set[str]) -> Person:
    while True:
        number = resident_id(rng, born_from=date(1960, 1, 1), born_to=date(2004, 12, 31))
        if number not in used_ids:
            used_ids.add(number)
            return Person(names.person_name(rng), number)


def new_org(rng: random.Random, used: set[str]) -> tuple[Org, Row, str]:
    """A subject, its 登记信息 row and the key of the department that registers it."""
    kind = rng.choices(_ORG_KIND_NAMES, cum_weights=_ORG_KIND_CUM)[0]
    d_index = rng.choices(range(len(names.DISTRICTS)), names.DISTRICT_WEIGHTS)[0]
    d = names.DISTRICTS[d_index]
    rep = names.person_name(rng)
    rep_id = resident_id(rng, born_from=date(1955, 1, 1), born_to=date(2000, 12, 31))
    industry = names.industry_index(rng)
    category, capital, source, authority = ORGANISATION, "", "SCJG", f"杭州市{d.name}市场监督管理局"
    if kind == "company":
        prefix = "91"
        name, entity_type = names.company_name(rng, industry)
        capital = wan(rng.choice((10, 50, 100, 200, 500, 1000, 3000, 5000, 10000)) * 10000)
    elif kind == "individual":
        prefix, category, entity_type = "92", INDIVIDUAL, "个体工商户"
        name, industry = names.individual_name(rng, d, rep)
        capital = wan(rng.choice((1, 3, 5, 10, 20)) * 10000)
    elif kind == "coop":
        prefix, entity_type, industry = "93", "农民专业合作社", 9
        name = names.coop_name(rng, d)
        capital = wan(rng.choice((10, 50, 100, 200)) * 10000)
    elif kind == "social":
        prefix, name = names.social_org_name(rng, d)
        entity_type = "民办非企业单位" if prefix == "52" else "基金会"
        source, authority = "MZJ", "杭州市民政局"
    elif kind == "institution":
        prefix, entity_type, source = "12", "事业单位", "WBB"
        name = names.institution_name(rng, d)
        authority = "中共杭州市委机构编制委员会办公室"
    else:
        prefix, entity_type, source = "11", "机关", "WBB"
        name = names.government_name(rng, d)
        authority = "中共杭州市委机构编制委员会办公室"
    while True:
        legacy = kind in ("institution", "government") or rng.random() < 0.25
        uscc = uscc_from_body(prefix, d.code, random_org_body(rng, legacy=legacy))
        if uscc not in used:
            used.add(uscc)
            break
    org = Org(uscc, name, category, kind, rep, rep_id, d_index)
    span = (date(2026, 6, 30) - date(1995, 1, 1)).days
    established = date(1995, 1, 1) + timedelta(days=int(span * rng.random() ** 0.6))
    status = "存续"
    if kind in MARKET_KINDS:
        status = rng.choices(("存续", "注销", "吊销"), (92, 5, 3))[0]
    row = {
        **org_subject(org),
        "established_on": established.isoformat(),
        "registered_capital": capital,
        "entity_type": entity_type,
        "industry": names.INDUSTRIES[industry][0],
        "district": d.name,
        "address": names.address(rng, d),
        "business_scope": names.INDUSTRIES[industry][2] if kind in MARKET_KINDS else "",
        "registration_status": status,
        "registration_authority": authority,
        "source_unit": DEPARTMENTS[source].name,
    }
    return org, row, source


def org_subject(o: Org) -> Row:
    return {
        "subject_name": o.name,
        "subject_category": o.category,
        "uscc": o.uscc,
        "legal_rep": o.legal_rep,
        "legal_rep_id_type": RESIDENT_ID,
        "legal_rep_id_number": o.legal_rep_id,
    }


def person_subject(p: Person) -> Row:
    return {
        "subject_name": p.name,
        "subject_category": PERSON,
        "id_type": RESIDENT_ID,
        "id_number": p.id_number,
    }


def wan(yuan: int) -> str:
    """Yuan as 万元 text without trailing zeros: 5000 → 0.5, 2000000 → 200."""
    return format((Decimal(yuan) / 10000).normalize(), "f")


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


# --- context -------------------------------------------------------------------------------


@dataclass
class Context:
    rng: random.Random
    orgs: list[Org]
    persons: list[Person]
    market: list[int] = field(default_factory=list)  # indices of enterprises (9x)
    rated: list[int] = field(default_factory=list)  # companies and cooperatives
    counters: dict[tuple[str, ...], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.market = [i for i, o in enumerate(self.orgs) if o.kind in MARKET_KINDS]
        self.rated = [i for i, o in enumerate(self.orgs) if o.kind in RATED_KINDS]

    def org(self, pool: Sequence[int] | None = None) -> Org:
        """A subject, skewed so that some subjects collect many records."""
        r = self.rng.random() ** 1.6
        if pool is None:
            return self.orgs[int(r * len(self.orgs))]
        return self.orgs[pool[int(r * len(pool))]]

    def person(self) -> Person:
        return self.persons[int(self.rng.random() ** 1.3 * len(self.persons))]

    def next_number(self, *key: str) -> int:
        n = self.counters.get(key, 0) + 1
        self.counters[key] = n
        return n

    def day(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> date:
        return day_between(self.rng, start, end)


def record_id(dept: Department, tag: str, n: int) -> str:
    return f"{dept.key}-{tag}-{n + 1:010d}"


def common_fields(dept: Department, *, status: str = "正常") -> Row:
    return {"source_unit": dept.name, "status": status}
