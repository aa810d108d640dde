"""What the public and an authorized bank are shown (issue 9 items 1, 2, 12, 13, 15): the
authorized view is the public view narrowed to the granted scopes; list entries follow the
scope of their source record; key supervision is never shown to a third party; the query log
names each scope with the grant that allowed it; a past ``as_of`` never widens a view; no
person is named.

Runs over a synthetic data set that has every record type, on both engines."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from conftest import rolled_back_session
from xinyong.access import service as access
from xinyong.access.errors import GrantOnlyOwnFile, QueryLogForbidden
from xinyong.access.models import QueryLogEntry
from xinyong.access.schemas import GrantCreate
from xinyong.access.scopes import load_scopes
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.catalog.loader import default_catalog
from xinyong.credit_file import service
from xinyong.kit import clock
from xinyong.lists.definitions import load_definitions
from xinyong.records.describe import PublicityState, View
from xinyong.records.errors import AsOfNotToday
from xinyong.records.models import Record
from xinyong.scoring.errors import ScoresForbidden
from xinyong.scoring.read import subject_scores
from xinyong.scoring.shipped import load_all
from xinyong.subjects.errors import PersonNameRequired, PersonNotFound
from xinyong.subjects.models import Subject, SubjectKind
from xinyong.synth import generate, load_into

CATALOG = default_catalog()
LISTS = load_definitions(CATALOG)
SCOPES = load_scopes(CATALOG)
SCORECARDS = load_all(CATALOG)
SECRET = b"third-party-test-secret"
BANK = "BANK-TEST-HZ"
NOW = clock.now()
TODAY = clock.local_date(NOW)


class World:
    def __init__(self, engine: Engine, subject_id: int, code: str) -> None:
        self.engine = engine
        self.subject_id = subject_id
        self.code = code


def _richest_enterprise(session: Session) -> tuple[int, str]:
    """The enterprise with the most kinds of records (like the demo enterprise)."""
    subject_id = session.scalar(
        select(Record.subject_id)
        .join(Subject, Subject.id == Record.subject_id)
        .where(Subject.kind == SubjectKind.ENTERPRISE)
        .group_by(Record.subject_id)
        .order_by(func.count(Record.record_type.distinct()).desc(), Record.subject_id)
        .limit(1)
    )
    return subject_id, session.get_one(Subject, subject_id).code


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("third_party")
    generate(out, enterprises=60, records=2500, persons=40, formats=["csv"])
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, databases: Any, synth_dir: Path) -> World:
    engine = databases.migrated_engine(request.param)
    load_into(engine, synth_dir, secret=SECRET)
    with Session(engine) as s:
        accounts.create_department(s, code=BANK, name="测试银行杭州分行", sector="other", now=NOW)
        accounts.create_user(
            s,
            username="bank",
            password="Loan-Desk-Officer-2026!",
            role=Role.BANK,
            department_code=BANK,
            now=NOW,
        )
        subject_id, code = _richest_enterprise(s)
        # Make sure the data exercise the rule: a key-supervision entry and a record 不予公示.
        s.commit()
    return World(engine, subject_id, code)


@pytest.fixture
def session(world: World) -> Iterator[Session]:
    with rolled_back_session(world.engine) as s:
        yield s


def _owner(world: World) -> Principal:
    return Principal("user", 1, Role.ENTERPRISE, None, world.subject_id, "示范企业")


BANKER = Principal("user", 2, Role.BANK, BANK, None, "银行信贷员")
OFFICER = Principal("user", 3, Role.ADMIN, None, None, "信用办")


def _grant(session: Session, world: World, scopes: list[str], purpose: str, at: datetime) -> int:
    return access.create_grant(
        session,
        SCOPES,
        principal=_owner(world),
        data=GrantCreate(
            subject_code=world.code, grantee_code=BANK, scopes=scopes, purpose=purpose, days=30
        ),
        secret=SECRET,
        now=at,
    ).id


def _file(session: Session, world: World, principal: Principal, **kwargs: Any):
    return service.read_file(
        session,
        CATALOG,
        LISTS,
        code=world.code,
        principal=principal,
        scope_definitions=SCOPES,
        secret=SECRET,
        as_of=kwargs.pop("as_of", TODAY),
        now=NOW,
        **kwargs,
    )


def _scores(session: Session, world: World, principal: Principal, code: str | None = None, **kw):
    return subject_scores(
        session,
        CATALOG,
        SCORECARDS,
        code=code or world.code,
        principal=principal,
        scope_definitions=SCOPES,
        secret=SECRET,
        as_of=kw.pop("as_of", TODAY),
        today=TODAY,
        now=NOW,
    )


def _records(credit_file) -> dict[int, str]:
    return {r.id: r.record_type for r in (*credit_file.good, *credit_file.bad, *credit_file.other)}


def test_data_has_what_a_third_party_must_not_see(session, world):
    internal = _file(session, world, OFFICER)
    states = {r.publicity_state for r in (*internal.good, *internal.bad, *internal.other)}
    assert PublicityState.NOT_PUBLICISED in states or PublicityState.EXPIRED in states
    assert any(not m.public for m in internal.lists)


@pytest.mark.parametrize("scope", SCOPES.ids)
def test_bank_sees_the_public_view_narrowed_to_the_granted_scope(session, world, scope):
    _grant(session, world, [scope], "流动资金贷款贷前调查", NOW - timedelta(days=1))
    public = _file(session, world, ANONYMOUS)
    authorized = _file(session, world, BANKER)
    assert authorized.view is View.AUTHORIZED
    types = SCOPES.record_types([scope])
    expected = {i: t for i, t in _records(public).items() if t in types}
    assert _records(authorized) == expected
    for r in (*authorized.good, *authorized.bad, *authorized.other):
        assert r.publicity_state is None and r.regime is None and r.version is None
        public_labels = {f.label for f in CATALOG.get(r.record_type).fields if f.public}
        assert {f.label for f in r.fields} <= public_labels


@pytest.mark.parametrize("scope", SCOPES.ids)
def test_bank_list_entries_follow_their_source_record_and_never_key_supervision(
    session, world, scope
):
    _grant(session, world, [scope, "lists"], "贷后管理", NOW - timedelta(days=1))
    public = _file(session, world, ANONYMOUS)
    authorized = _file(session, world, BANKER)
    shown = _records(authorized)
    public_entries = {(m.list_id, m.source_record_id, m.manual_entry_id) for m in public.lists}
    for m in authorized.lists:
        assert m.public, m.list_name
        assert m.list_id != "key_supervision"
        assert (m.list_id, m.source_record_id, m.manual_entry_id) in public_entries
        if m.source_record_id is not None:
            assert m.source_record_id in shown
    expected = {
        (m.list_id, m.source_record_id)
        for m in public.lists
        if m.source_record_id is None or m.source_record_id in shown
    }
    assert {(m.list_id, m.source_record_id) for m in authorized.lists} == expected


def test_bank_without_the_lists_scope_gets_no_lists(session, world):
    _grant(session, world, ["penalties"], "贷前调查", NOW - timedelta(days=1))
    assert _file(session, world, BANKER).lists is None


def test_query_log_names_each_scope_with_the_grant_that_allowed_it(session, world):
    first = _grant(
        session, world, ["basic", "penalties"], "流动资金贷款贷前调查", NOW - timedelta(2)
    )
    second = _grant(session, world, ["lists"], "贷后风险监测", NOW - timedelta(days=1))
    newest = _grant(session, world, ["penalties"], "授信额度复核", NOW - timedelta(hours=1))
    _file(session, world, BANKER)
    lines = session.execute(
        select(QueryLogEntry.reference, QueryLogEntry.purpose, QueryLogEntry.scopes)
        .where(QueryLogEntry.subject_id == world.subject_id)
        .order_by(QueryLogEntry.id)
    ).all()
    by_grant = {ref: (purpose, scopes) for ref, purpose, scopes in lines}
    assert by_grant == {
        f"grant:{first}": ("流动资金贷款贷前调查", ["basic"]),
        f"grant:{newest}": ("授信额度复核", ["penalties"]),
        f"grant:{second}": ("贷后风险监测", ["lists"]),
    }


def test_score_explanation_names_only_records_of_granted_scopes_in_publicity(session, world):
    _grant(session, world, ["scores", "penalties"], "贷前调查", NOW - timedelta(days=1))
    scores = _scores(session, world, BANKER)
    public_ids = set(_records(_file(session, world, ANONYMOUS)))
    allowed = SCOPES.record_types(["penalties"])
    undisclosed = 0
    for score in scores.scores:
        assert score.lowers_most == [] and score.repair_dates == []
        for item in score.items:
            undisclosed += item.undisclosed_records
            for ref in item.records:
                assert ref.record_type in allowed
                assert ref.id in public_ids
    assert undisclosed > 0, "the explanation should count records it does not name"
    internal = _scores(session, world, OFFICER)
    assert [s.total for s in internal.scores] == [s.total for s in scores.scores]


@pytest.mark.parametrize("principal", [ANONYMOUS, BANKER], ids=["public", "bank"])
def test_a_past_as_of_is_refused_to_public_and_third_party_views(session, world, principal):
    _grant(session, world, ["penalties", "lists", "scores"], "贷前调查", NOW - timedelta(1))
    with pytest.raises(AsOfNotToday):
        _file(session, world, principal, as_of=TODAY - timedelta(days=400))
    with pytest.raises(AsOfNotToday):
        _scores(session, world, BANKER, as_of=TODAY - timedelta(days=30))


def test_a_repair_is_final_whatever_date_is_asked(session, world):
    internal = _file(session, world, OFFICER)
    record_id = next(r.id for r in internal.bad if r.publicity_state is PublicityState.IN_PUBLICITY)
    session.execute(update(Record).where(Record.id == record_id).values(repaired_on=TODAY))
    session.expire_all()
    for as_of in (TODAY, TODAY - timedelta(days=200)):
        history = _file(session, world, OFFICER, as_of=as_of)
        (read,) = [r for r in history.bad if r.id == record_id]
        assert read.publicity_state is PublicityState.REPAIRED
        assert all(m.source_record_id != record_id for m in history.lists)
    assert record_id not in _records(_file(session, world, ANONYMOUS))


def test_no_person_is_named_in_a_public_or_authorized_file(session, world):
    _grant(session, world, SCOPES.ids, "贷前调查", NOW - timedelta(days=1))
    subject = session.get_one(Subject, world.subject_id)
    internal = _file(session, world, OFFICER).model_dump_json()
    reps = {subject.legal_rep} | {
        (r.fields or {}).get("legal_rep")
        for r in session.scalars(select(Record).where(Record.subject_id == world.subject_id))
    }
    reps = {n for n in reps if n and len(n) >= 2}
    assert reps and any(n in internal for n in reps)
    for principal in (ANONYMOUS, BANKER):
        dumped = _file(session, world, principal).model_dump_json()
        for name in reps:
            assert name not in dumped, (principal.role, name)


def _person_in_data(synth_dir: Path) -> tuple[str, str]:
    """A person's name and ID number from the generated penalty files."""
    for path in sorted(synth_dir.glob("administrative_penalty__*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["CF_XDR_LB"] == "自然人" and row["CF_XDR_ZJHM"]:
                    return row["CF_XDR_MC"], row["CF_XDR_ZJHM"]
    raise AssertionError("no person in the data")


def test_an_enterprise_cannot_learn_which_id_numbers_exist_by_naming_them(
    session, world, synth_dir
):
    _, known = _person_in_data(synth_dir)
    unknown = "11010519491231002X"
    owner = _owner(world)
    for code in (known, unknown):
        with pytest.raises(QueryLogForbidden):
            access.subject_query_log(
                session, principal=owner, code=code, secret=SECRET, page=1, size=20, now=NOW
            )
        with pytest.raises(GrantOnlyOwnFile):
            access.create_grant(
                session,
                SCOPES,
                principal=owner,
                data=GrantCreate(
                    subject_code=code, grantee_code=BANK, scopes=["basic"], purpose="贷款", days=5
                ),
                secret=SECRET,
                now=NOW,
            )
        with pytest.raises((ScoresForbidden, PersonNameRequired)):
            _scores(session, world, owner, code)


def test_a_person_is_found_by_the_public_only_with_the_right_name(session, world, synth_dir):
    name, number = _person_in_data(synth_dir)
    found = service.read_file(
        session,
        CATALOG,
        LISTS,
        code=number,
        name=name,
        principal=ANONYMOUS,
        scope_definitions=SCOPES,
        secret=SECRET,
        as_of=TODAY,
        now=NOW,
    )
    assert found.subject.name != name and found.subject.name.startswith(name[0])
    assert name not in found.model_dump_json()
    with pytest.raises(PersonNotFound):
        service.read_file(
            session,
            CATALOG,
            LISTS,
            code=number,
            name=name[0] + "某某",
            principal=ANONYMOUS,
            scope_definitions=SCOPES,
            secret=SECRET,
            as_of=TODAY,
            now=NOW,
        )


def test_grades_show_to_a_bank_only_with_the_scores_scope_and_never_to_the_public(session, world):
    _grant(session, world, ["penalties", "scores"], "流动资金贷款贷前调查", NOW - timedelta(days=1))

    without = _file(session, world, BANKER, scopes=["penalties"], scorecards=SCORECARDS)
    granted = _file(session, world, BANKER, scorecards=SCORECARDS)
    own = _file(session, world, _owner(world), scorecards=SCORECARDS)
    public = _file(session, world, ANONYMOUS, scorecards=SCORECARDS)

    assert without.grades is None and public.grades is None
    assert granted.grades and granted.grades == own.grades
    assert {g.model_id for g in own.grades} <= set(SCORECARDS)
    assert all(g.as_of == TODAY and g.model_version >= 1 for g in own.grades)
