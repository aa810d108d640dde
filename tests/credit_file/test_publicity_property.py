"""For any penalty and any day, the public sees it exactly inside its publicity window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from factories.accounts import make_department
from factories.records import SECRET, penalty_row, push
from xinyong.access.scopes import load_scopes
from xinyong.accounts.principal import ANONYMOUS
from xinyong.catalog.loader import default_catalog
from xinyong.credit_file import service
from xinyong.kit.clock import SHANGHAI
from xinyong.lists.definitions import load_definitions
from xinyong.records.models import Record

USCC = "91330106MA2000086A"
LISTS = load_definitions(default_catalog())
SCOPES = load_scopes(default_catalog())
CATEGORIES = ["警告", "罚款", "罚款;没收违法所得", "罚款;吊销许可证件", "责令停产停业", "通报批评"]
SECTORS = [None, "market_regulation", "food", "tax"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    decided=st.dates(min_value=date(2018, 1, 1), max_value=date(2026, 10, 31)),
    category=st.sampled_from(CATEGORIES),
    procedure=st.sampled_from(["普通程序", "简易程序"]),
    fine=st.decimals(min_value=0, max_value=300, places=2),
    sector=st.sampled_from(SECTORS),
    offset=st.integers(min_value=-30, max_value=4 * 366),
)
def test_public_view_shows_a_penalty_only_inside_its_window(
    session, decided, category, procedure, fine, sector, offset
):
    source = make_department(session, sector=sector).code
    number = f"罚〔性质〕{decided.isoformat()}-{offset}-{category}"
    push(
        session,
        source,
        [
            penalty_row(
                CF_WSH=number,
                CF_JDRQ=decided.isoformat(),
                CF_YXQ=(decided + timedelta(days=3650)).isoformat(),
                CF_CFLB=category,
                处罚程序=procedure,
                CF_NR_FK=str(fine),
            )
        ],
    )
    record = session.scalars(select(Record).where(Record.source_key.startswith(number))).one()
    as_of = decided + timedelta(days=offset)
    public = service.read_file(
        session,
        default_catalog(),
        LISTS,
        code=USCC,
        principal=ANONYMOUS,
        scope_definitions=SCOPES,
        secret=SECRET,
        as_of=as_of,
        now=datetime.combine(as_of, time(10), tzinfo=SHANGHAI),  # the public reads today
    )
    shown = number in {r.title for r in public.bad}
    inside = (
        record.publicised
        and record.publicity_starts_on <= as_of
        and (record.publicity_ends_on is None or as_of <= record.publicity_ends_on)
    )
    assert shown == inside
    if record.publicised:
        assert record.publicity_ends_on is not None  # a penalty is never public for ever
        assert record.publicity_ends_on <= decided + timedelta(days=3650)
    session.rollback()
