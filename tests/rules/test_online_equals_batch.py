"""For random facts, the online score equals the batch score on the same database and on
DuckDB, indicator by indicator (issue 3, done-when 1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories.accounts import make_department
from factories.records import penalty_row, push
from factories.rules import SOUND
from xinyong.catalog.loader import default_catalog
from xinyong.kit.identifiers import uscc_check_char
from xinyong.rules.compiler import compile_scorecard
from xinyong.rules.duck import duckdb_engine, load_facts
from xinyong.rules.facts import Scope
from xinyong.rules.scorecard import Scorecard

CARD = Scorecard.model_validate(SOUND)
AS_OF = date(2026, 11, 22)
CENT = Decimal("0.01")

penalties = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),  # which subject
        st.decimals(min_value=0, max_value=200, places=2),  # fine in 万元
        st.integers(min_value=-60, max_value=3000),  # days before as_of (negative: after)
        st.sampled_from(["罚款", "警告", "罚款;吊销许可证件", "罚款;没收违法所得"]),
    ),
    max_size=12,
)


def _uscc(n: int) -> str:
    body = f"91330106MA2{n:06d}"[:17]
    return body + uscc_check_char(body)


def _norm(row) -> dict:
    return {
        k: Decimal(str(v)).quantize(CENT)
        if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
        else v
        for k, v in row._mapping.items()
    }


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=penalties)
def test_online_equals_batch_on_every_engine(session, rows):
    source = make_department(session, sector="other").code
    push(
        session,
        source,
        [
            penalty_row(
                CF_WSH=f"罚〔性质〕{i}",
                CF_XDR_SHXYM=_uscc(who),
                CF_XDR_MC=f"公司{who}",
                CF_NR_FK=str(fine),
                CF_JDRQ=(AS_OF - timedelta(days=back)).isoformat(),
                CF_YXQ=(AS_OF + timedelta(days=4000)).isoformat(),
                CF_CFLB=kind,
            )
            for i, (who, fine, back, kind) in enumerate(rows)
        ]
        or [penalty_row(CF_WSH="罚〔空〕", CF_XDR_SHXYM=_uscc(9), CF_JDRQ="2030-01-01")],
    )
    dialect = session.get_bind().dialect.name
    batch = compile_scorecard(CARD, default_catalog(), dialect=dialect)
    batch_rows = {
        r.subject_id: _norm(r) for r in session.execute(batch.select, batch.params(AS_OF))
    }
    online = compile_scorecard(CARD, default_catalog(), dialect=dialect, scope=Scope.ONE)
    for subject_id, expected in batch_rows.items():
        (row,) = session.execute(online.select, online.params(AS_OF, subject_id)).all()
        assert _norm(row) == expected
    # A bidder list's subjects at once: the same rows, none of the others.
    some = compile_scorecard(CARD, default_catalog(), dialect=dialect, scope=Scope.SOME)
    wanted = sorted(batch_rows)[::2]
    some_rows = session.execute(some.select, some.params(AS_OF, subject_ids=wanted))
    assert {r.subject_id: _norm(r) for r in some_rows} == {s: batch_rows[s] for s in wanted}
    on_duck = compile_scorecard(CARD, default_catalog(), dialect="duckdb")
    with duckdb_engine() as duck:
        load_facts(session, duck)
        with duck.connect() as conn:
            duck_rows = {
                r.subject_id: _norm(r) for r in conn.execute(on_duck.select, on_duck.params(AS_OF))
            }
    assert duck_rows == batch_rows
    session.rollback()
