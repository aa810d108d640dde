"""One row builder per record type, and the plan of how many rows each type gets.

A builder returns ``{field name: text}`` in the form a department would send it; the writer
maps field names onto the 双公示 column headers. Every value is valid per the catalog, so the
generated files ingest with zero rejects. All randomness comes from the context's
``random.Random``: the same seed gives the same rows.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, NamedTuple

from xinyong.kit.dates import add_months
from xinyong.synth import names, texts
from xinyong.synth.subjects import (
    LAST_DAY,
    PERSON,
    RATING_YEARS,
    Context,
    Department,
    Org,
    Row,
    common_fields,
    log_uniform,
    org_subject,
    person_subject,
    record_id,
    wan,
)

Builder = Callable[[Context, Department, int], Row]


# --- 行政处罚 ------------------------------------------------------------------------------

_PATTERNS: Final = (
    (("警告",), 6),
    (("通报批评",), 1),
    (("罚款",), 48),
    (("警告", "罚款"), 10),
    (("罚款", "没收违法所得"), 14),
    (("罚款", "没收违法所得", "没收非法财物"), 2),
    (("罚款", "暂扣许可证件"), 6),
    (("罚款", "责令停产停业"), 3),
    (("罚款", "吊销许可证件"), 1.5),
    (("罚款", "降低资质等级"), 1),
    (("限制开展生产经营活动",), 0.5),
    (("罚款", "限制从业"), 0.5),
    (("责令关闭",), 0.2),
    (("吊销营业执照",), 0.3),
)
_PATTERN_CUM = tuple(itertools.accumulate(w for _, w in _PATTERNS))
_PERSON_PATTERNS: Final = (("警告",), ("罚款",), ("警告", "罚款"), ("罚款", "没收违法所得"))
_RESTRICTIONS: Final = frozenset({"限制开展生产经营活动", "限制从业"})


def _penalty_categories(rng: random.Random, dept: Department, person: bool, simple: bool):
    if simple:
        return ("警告",) if rng.random() < 0.4 else ("罚款",)
    if person:
        return rng.choices(_PERSON_PATTERNS, (25, 50, 15, 10))[0]
    cats = rng.choices([p for p, _ in _PATTERNS], cum_weights=_PATTERN_CUM)[0]
    if "吊销营业执照" in cats and dept.sector != "market_regulation":
        cats = ("罚款", "吊销许可证件")
    if "降低资质等级" in cats and dept.sector != "construction":
        cats = ("罚款", "暂扣许可证件")
    return cats


def _fine_yuan(rng: random.Random, person: bool, simple: bool) -> int:
    if simple:  # 《行政处罚法》第五十一条: ≤200 元 for citizens, ≤3000 元 for organisations
        return rng.choice((50, 100, 200)) if person else rng.randrange(2, 31) * 100
    if person:
        return int(round(log_uniform(rng, 0.02, 2) * 10000, -2))
    if rng.random() < 0.005:
        return rng.randrange(100, 801) * 10000
    return int(round(log_uniform(rng, 0.02, 50) * 10000, -2))


@dataclass
class _Sanctions:
    """What a penalty decision imposes, as its row's columns."""

    content: list[str] = field(default_factory=list)
    fine: str = ""
    confiscated: str = ""
    affected: str = ""


def _sanction(
    rng: random.Random,
    cat: str,
    out: _Sanctions,
    *,
    person: bool,
    simple: bool,
    licence: texts.Licence,
    subject: Row,
) -> None:
    """Add one penalty category's wording (and amounts or certificate) to ``out``."""
    certificate = licence.certificate or "营业执照"
    if cat == "罚款":
        yuan = _fine_yuan(rng, person, simple)
        out.fine = wan(yuan)
        out.content.append(f"罚款人民币{yuan}元")
    elif cat == "没收违法所得":
        yuan = int(log_uniform(rng, 0.01, 20) * 10000)
        out.confiscated = wan(yuan)
        out.content.append(f"没收违法所得人民币{yuan}元")
    elif cat == "没收非法财物":
        out.content.append("没收用于违法经营的工具、设备")
    elif cat in ("暂扣许可证件", "吊销许可证件"):
        out.affected = f"{certificate}（编号：{licence.number_prefix}{rng.randrange(10**8):08d}）"
        out.content.append(
            f"暂扣{certificate}{rng.randint(1, 6)}个月"
            if cat == "暂扣许可证件"
            else f"吊销{certificate}"
        )
    elif cat == "责令停产停业":
        out.content.append(f"责令停产停业{rng.choice((7, 15, 30, 60))}日")
    elif cat == "限制开展生产经营活动":
        out.content.append("限制开展生产经营活动三年")
    elif cat == "限制从业":
        out.content.append("主要负责人五年内不得担任本行业生产经营单位的主要负责人")
    elif cat == "吊销营业执照":
        out.affected = f"营业执照（统一社会信用代码：{subject.get('uscc', '')}）"
        out.content.append("吊销营业执照")
    else:
        out.content.append(cat)


def _penalty_valid_to(
    rng: random.Random, decided: date, cats: tuple[str, ...], simple: bool
) -> date:
    if _RESTRICTIONS & set(cats):
        return add_months(decided, 12 * rng.choice((3, 4, 5)))
    if simple or cats == ("警告",):
        return add_months(decided, 12)
    return add_months(decided, 36)


def penalty(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    violations = texts.VIOLATIONS[dept.key]
    person = bool(ctx.persons) and rng.random() < 0.12 and any(v.person_ok for v in violations)
    if person:
        v = rng.choice([v for v in violations if v.person_ok])
        subject = person_subject(ctx.person())
    else:
        v = rng.choice(violations)
        subject = org_subject(ctx.org())
    decided = ctx.day()
    simple = rng.random() < 0.3
    cats = _penalty_categories(rng, dept, person, simple)
    licence = rng.choice(texts.LICENCES.get(dept.key, texts.LICENCES["SCJG"]))
    sanctions = _Sanctions()
    for cat in cats:
        _sanction(
            rng, cat, sanctions, person=person, simple=simple, licence=licence, subject=subject
        )
    valid_to = _penalty_valid_to(rng, decided, cats, simple)
    year = decided.year
    number = ctx.next_number(dept.key, "CF", str(year))
    kind = "简罚" if simple else "罚"
    return {
        **subject,
        "record_id": record_id(dept, "CF", n),
        "decision_number": f"{dept.abbr}{kind}〔{year}〕{number}号",
        "case_name": f"{subject['subject_name']}{v.kind}案",
        "violation_type": v.kind,
        "violation_facts": v.facts.format(date=f"{decided.year}年{decided.month}月"),
        "legal_basis": v.basis,
        "penalty_categories": ";".join(cats),
        "procedure": "简易程序" if simple else "普通程序",
        "penalty_content": "；".join(sanctions.content),
        "fine_amount": sanctions.fine,
        "confiscated_amount": sanctions.confiscated,
        "licence_affected": sanctions.affected,
        "decision_date": decided.isoformat(),
        "valid_to": valid_to.isoformat(),
        "authority": dept.name,
        "authority_uscc": dept.uscc,
        "source_unit_uscc": dept.uscc,
        "area_code": texts.CITY,
        **common_fields(dept),
    }


# --- 行政许可 ------------------------------------------------------------------------------


def licence(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    item = rng.choice(texts.LICENCES[dept.key])
    org = ctx.org()
    decided = ctx.day()
    year = decided.year
    number = ctx.next_number(dept.key, "XK", str(year))
    if dept.key == "STJ":
        licence_number = f"{org.uscc}{rng.randint(1, 9):03d}{rng.choice('PVUQ')}"
    elif item.certificate:
        district = names.DISTRICTS[org.district].code
        licence_number = f"{item.number_prefix}{district}{n:08d}"
    else:
        licence_number = ""
    valid_to = add_months(decided, 12 * item.years) - timedelta(days=1) if item.years else None
    return {
        **org_subject(org),
        "record_id": record_id(dept, "XK", n),
        "document_name": item.document,
        "decision_number": f"{dept.abbr}许〔{year}〕{number}号",
        "licence_category": item.category,
        "certificate_name": item.certificate,
        "licence_number": licence_number,
        "content": item.content,
        "decision_date": decided.isoformat(),
        "valid_from": decided.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else "",
        "authority": dept.name,
        "authority_uscc": dept.uscc,
        "source_unit_uscc": dept.uscc,
        "area_code": texts.CITY,
        **common_fields(dept, status="有效"),
    }


# --- other record types ----------------------------------------------------------------------


def commendation(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    index = rng.randrange(len(texts.HONOURS[dept.key]))
    honour, level, body, prefix, months = texts.HONOURS[dept.key][index]
    awarded = ctx.day()
    return {
        **org_subject(ctx.org()),
        "record_id": record_id(dept, "BZ", n),
        "honour_name": honour,
        "honour_level": level,
        # One decision per honour and year names every awarded subject.
        "document_number": f"{prefix}〔{awarded.year}〕{index * 7 + awarded.year % 10 + 1}号",
        "awarded_on": awarded.isoformat(),
        "valid_to": add_months(awarded, months).isoformat(),
        "awarding_body": body,
        "source_unit": dept.name,
    }


def good_faith_incentive(ctx: Context, dept: Department, n: int) -> Row:
    name, basis, months = ctx.rng.choice(texts.INCENTIVE_LISTS)
    listed = ctx.day()
    return {
        **org_subject(ctx.org()),
        "record_id": record_id(dept, "SX", n),
        "list_name": name,
        "basis": basis,
        "listed_on": listed.isoformat(),
        "valid_to": add_months(listed, months).isoformat(),
        "listing_unit": dept.name,
        **common_fields(dept),
    }


def serious_dishonesty_list(ctx: Context, dept: Department, n: int) -> Row:
    name, reason, basis = ctx.rng.choice(texts.DISHONESTY_LISTS)
    listed = ctx.day(date(2021, 1, 1))
    number = ctx.next_number(dept.key, "YZSX", str(listed.year))
    return {
        **org_subject(ctx.org(ctx.market)),
        "record_id": record_id(dept, "YZSX", n),
        "list_name": name,
        "decision_number": f"{dept.abbr}信用〔{listed.year}〕{number}号",
        "reason": reason,
        "basis": basis,
        "listed_on": listed.isoformat(),
        "valid_to": add_months(listed, 36).isoformat(),
        "listing_unit": dept.name,
        **common_fields(dept),
    }


def judgment_defaulter(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    if ctx.persons and rng.random() < 0.45:
        subject = person_subject(ctx.person())
        district = names.district(rng)
    else:
        org = ctx.org()
        subject = org_subject(org)
        district = names.DISTRICTS[org.district]
    published = ctx.day()
    court_code = district.code[2:]
    amount = int(log_uniform(rng, 5000, 5_000_000))
    removed = ""
    if rng.random() < 0.3:
        end = add_months(published, rng.randint(3, 24))
        removed = end.isoformat() if end <= LAST_DAY else ""
    case_no = ctx.next_number(court_code, "执", str(published.year))
    return {
        **subject,
        "record_id": record_id(dept, "SXBZX", n),
        "case_number": f"（{published.year}）浙{court_code}执{case_no}号",
        "court": f"杭州市{district.name}人民法院",
        "basis_document": f"（{published.year - 1}）浙{court_code}民初{rng.randint(1, 20000)}号",
        "obligation": rng.choice(texts.DEFAULTER_OBLIGATIONS).format(amount=amount),
        "performance": rng.choice(("全部未履行", "部分未履行")),
        "conduct": rng.choice(texts.DEFAULTER_CONDUCTS),
        "published_on": published.isoformat(),
        "removed_on": removed,
        **common_fields(dept),
    }


def _rated_pair(ctx: Context, n: int) -> tuple[int, Org]:
    """The n-th (year, enterprise) pair: distinct for n < len(years) × len(rated)."""
    years = len(RATING_YEARS)
    pool = ctx.rated
    step = _coprime_step(len(pool))
    return RATING_YEARS[n % years], ctx.orgs[pool[(n // years) * step % len(pool)]]


def _coprime_step(size: int) -> int:
    for step in (7919, 104729, 1299709, 15485863):
        if math.gcd(step, size) == 1:
            return step
    return 1


def tax_credit_rating(ctx: Context, dept: Department, n: int) -> Row:
    year, org = _rated_pair(ctx, n)
    grade = ctx.rng.choices(("A", "B", "M", "C", "D"), (25, 55, 12, 5, 3))[0]
    return {
        **org_subject(org),
        "tax_year": str(year),
        "grade": grade,
        "rated_on": date(year + 1, 4, ctx.rng.randint(1, 28)).isoformat(),
        "source_unit": dept.name,
    }


def environmental_credit(ctx: Context, dept: Department, n: int) -> Row:
    year, org = _rated_pair(ctx, n)
    colour = ctx.rng.choices(("绿色", "蓝色", "黄色", "红色", "黑色"), (30, 45, 15, 7, 3))[0]
    return {
        **org_subject(org),
        "rating_year": str(year),
        "colour": colour,
        "rated_on": date(year + 1, 6, ctx.rng.randint(1, 30)).isoformat(),
        "source_unit": dept.name,
    }


_ABNORMAL_REASONS: Final = (
    ("未按规定报送年度报告", 70),
    ("通过登记的住所无法联系", 22),
    ("未按规定公示即时信息", 5),
    ("公示信息隐瞒真实情况弄虚作假", 3),
)


def abnormal_operation(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    org = ctx.org(ctx.market)
    reason = rng.choices([r for r, _ in _ABNORMAL_REASONS], [w for _, w in _ABNORMAL_REASONS])[0]
    if reason == "未按规定报送年度报告":  # annual reports are due by 30 June
        listed = date(rng.randint(2019, 2026), 7, rng.randint(1, 15))
    else:
        listed = ctx.day()
    removed = ""
    if rng.random() < 0.4:
        end = add_months(listed, rng.randint(1, 18))
        removed = end.isoformat() if end <= LAST_DAY else ""
    district = names.DISTRICTS[org.district]
    number = ctx.next_number(district.code, "YC", str(listed.year))
    return {
        **org_subject(org),
        "record_id": record_id(dept, "JYYC", n),
        "decision_number": f"{district.name[:2]}市监异列〔{listed.year}〕{number}号",
        "reason": reason,
        "listed_on": listed.isoformat(),
        "removed_on": removed,
        "listing_unit": f"杭州市{district.name}市场监督管理局",
        **common_fields(dept),
    }


def credit_commitment(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    kind = rng.choices(tuple(texts.COMMITMENT_ITEMS), texts.COMMITMENT_WEIGHTS)[0]
    org = ctx.org()
    signed = ctx.day(date(2019, 7, 9))
    return {
        **org_subject(org),
        "record_id": record_id(dept, "XYCN", n),
        "commitment_type": kind,
        "commitment_item": rng.choice(texts.COMMITMENT_ITEMS[kind]),
        "commitment_text": texts.COMMITMENT_TEXT,
        "signed_on": signed.isoformat(),
        "due_on": add_months(signed, rng.choice((3, 6, 12))).isoformat(),
        "receiving_unit": f"杭州市{names.DISTRICTS[org.district].name}行政服务中心",
        **common_fields(dept),
    }


def commitment_breach(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    kind = rng.choices(tuple(texts.COMMITMENT_ITEMS)[:3], (5, 3, 2))[0]
    breach = rng.choices(("未履行承诺", "虚假承诺"), (80, 20))[0]
    details = (
        "承诺期限届满未补齐材料" if breach == "未履行承诺" else "核查发现所作承诺与实际情况不符"
    )
    return {
        **org_subject(ctx.org()),
        "record_id": record_id(dept, "WN", n),
        "commitment_item": rng.choice(texts.COMMITMENT_ITEMS[kind]),
        "breach_kind": breach,
        "details": details,
        "found_on": ctx.day(date(2019, 10, 1)).isoformat(),
        "deciding_unit": dept.name,
        **common_fields(dept),
    }


def contract_performance(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    assessed = ctx.day()
    district = names.district(rng)
    purchaser = f"杭州市{district.name}{rng.choice(names.GOVERNMENT_BODIES)}"
    return {
        **org_subject(ctx.org(ctx.rated)),
        "record_id": record_id(dept, "LY", n),
        "contract_name": f"{purchaser}{rng.choice(texts.PROCUREMENT_ITEMS)}合同",
        "contract_number": f"HZGGZY-{assessed.year}-{n:08d}",
        "result": rng.choices(("履约", "部分履约", "违约"), (85, 10, 5))[0],
        "assessed_on": assessed.isoformat(),
        "assessing_unit": purchaser,
        **common_fields(dept),
    }


_INSPECTION_RESULTS: Final = (
    ("未发现问题", 75),
    ("发现问题已责令改正", 15),
    ("不合格", 3),
    ("未按规定公示", 3),
    ("未发现开展经营活动", 3),
    ("不配合检查", 1),
)


def inspection_result(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    inspected = ctx.day()
    batch = rng.randint(1, 6)
    kind = rng.choices(("双随机抽查", "专项检查", "重点检查"), (70, 20, 10))[0]
    results = _INSPECTION_RESULTS
    return {
        **org_subject(ctx.org(ctx.market)),
        "record_id": record_id(dept, "CC", n),
        "task_number": f"{texts.CITY}{inspected.year}{dept.key}{batch:03d}",
        "task_name": f"{inspected.year}年度{dept.name}“双随机、一公开”抽查（第{batch}批）",
        "inspection_kind": kind,
        "result": rng.choices([r for r, _ in results], [w for _, w in results])[0],
        "inspected_on": inspected.isoformat(),
        "inspecting_unit": dept.name,
        **common_fields(dept),
    }


def volunteer_service(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    served = ctx.day()
    hours = donation = ""
    if ctx.persons and rng.random() < 0.85:
        subject = person_subject(ctx.person())
        kind = rng.choices(("志愿服务", "无偿献血", "见义勇为"), (70, 27, 3))[0]
    else:
        subject = org_subject(ctx.org())
        kind = rng.choices(("慈善捐赠", "志愿服务"), (60, 40))[0]
    if kind == "志愿服务":
        activity, organiser = rng.choice(texts.VOLUNTEER_ACTIVITIES)
        hours = str(rng.randint(2, 40 if subject["subject_category"] == PERSON else 400))
    elif kind == "无偿献血":
        activity, organiser = "无偿献血", "杭州市血液中心"
    elif kind == "见义勇为":
        activity, organiser = "见义勇为", "杭州市见义勇为基金会"
    else:
        activity, organiser = "“春风行动”慈善捐赠", "杭州市慈善总会"
        donation = wan(int(log_uniform(rng, 0.1, 50) * 100) * 100)
    return {
        **subject,
        "record_id": record_id(dept, "ZY", n),
        "activity_name": activity,
        "activity_kind": kind,
        "hours": hours,
        "donation_amount": donation,
        "served_on": served.isoformat(),
        "organiser": organiser,
        **common_fields(dept),
    }


_STREET_ITEMS = (
    ("越门占道经营", 30),
    ("店外店", 20),
    ("违规广告招牌", 15),
    ("环境卫生不达标", 12),
    ("未明码标价", 10),
    ("服务不规范", 6),
    ("噪声扰民", 5),
    ("食品安全问题", 2),
)
_COMPLAINT_ITEMS = ("商品质量", "价格争议", "服务态度", "预付卡退费", "虚假宣传", "售后服务")


def street_enforcement(ctx: Context, dept: Department, n: int) -> Row:
    """执法通 on-site records of uncivil business behaviour on a street (seed 004, 衣裳街)."""
    rng = ctx.rng
    item = rng.choices([i for i, _ in _STREET_ITEMS], [w for _, w in _STREET_ITEMS])[0]
    handling = rng.choices(("当场整改", "限期整改", "立案查处"), (75, 22, 3))[0]
    return {
        **org_subject(ctx.org(ctx.market)),
        "record_id": record_id(dept, "JF", n),
        "item": item,
        "handling": handling,
        "found_on": ctx.day(date(2024, 1, 1)).isoformat(),
        "officer_unit": dept.name,
        **common_fields(dept),
    }


def consumer_complaint(ctx: Context, dept: Department, n: int) -> Row:
    rng = ctx.rng
    return {
        **org_subject(ctx.org(ctx.market)),
        "record_id": record_id(dept, "TS", n),
        "complaint_item": rng.choice(_COMPLAINT_ITEMS),
        "outcome": rng.choices(("已妥善解决", "调解未成", "投诉属实未处理"), (85, 12, 3))[0],
        "received_on": ctx.day(date(2024, 1, 1)).isoformat(),
        "handling_unit": dept.name,
        **common_fields(dept),
    }


class TypePlan(NamedTuple):
    builder: Builder
    weight: float  # share of ``records`` (percent)
    sources: tuple[tuple[str, float], ...]  # (department key, weight)


PLANS: Final[dict[str, TypePlan]] = {
    "administrative_licence": TypePlan(licence, 40, texts.LICENCE_SOURCES),
    "administrative_penalty": TypePlan(penalty, 25, texts.PENALTY_SOURCES),
    "inspection_result": TypePlan(
        inspection_result, 6, (("SCJG", 55), ("STJ", 12), ("YJJ", 12), ("XF", 11), ("ZJ", 10))
    ),
    "tax_credit_rating": TypePlan(tax_credit_rating, 7, (("SWJ", 1),)),
    "credit_commitment": TypePlan(credit_commitment, 5, (("FGW", 1),)),
    "abnormal_operation": TypePlan(abnormal_operation, 3.5, (("SCJG", 1),)),
    "contract_performance": TypePlan(contract_performance, 3, (("GGZY", 1),)),
    "volunteer_service": TypePlan(volunteer_service, 3, (("WMB", 1),)),
    "commendation": TypePlan(commendation, 1.5, (("SCJG", 1), ("WMB", 2))),
    "environmental_credit": TypePlan(environmental_credit, 1.5, (("STJ", 1),)),
    "good_faith_incentive": TypePlan(good_faith_incentive, 1, (("FGW", 1),)),
    "judgment_defaulter": TypePlan(judgment_defaulter, 0.7, (("FY", 1),)),
    "serious_dishonesty_list": TypePlan(serious_dishonesty_list, 0.5, (("FGW", 1),)),
    "commitment_breach": TypePlan(commitment_breach, 0.3, (("FGW", 1),)),
    "street_enforcement": TypePlan(street_enforcement, 1, (("CGJ", 1),)),
    "consumer_complaint": TypePlan(consumer_complaint, 1, (("SCJG", 1),)),
}
CAPPED_BY_RATED: Final = frozenset({"tax_credit_rating", "environmental_credit"})
