"""Grades are never stale: whatever changes what a grade is computed from marks the subject in
the same transaction, reads compute a marked subject's grade online, and one worker pass stores
the fresh grade and clears the marks it handled (never one made meanwhile).

The API tests run in file order on one database per backend: a serious penalty arrives, the
worker passes, then a new model version is published."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from factories.accounts import seed_market_regulator
from factories.ingest import make_uscc
from factories.records import NOW, USCC, penalty_row, push
from xinyong.accounts import service as accounts
from xinyong.catalog.loader import default_catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.freshness import service as freshness
from xinyong.freshness.models import EVERY_MODEL, StaleMark
from xinyong.ingest.models import Batch
from xinyong.kit import clock
from xinyong.scoring.models import Score, ScoreRun
from xinyong.scoring.refresh import refresh_stale, shipped_and_published
from xinyong.scoring.service import run_batch
from xinyong.scoring.shipped import load_all
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

SCJG = "330106-SCJG"
MODEL = "enterprise_public_credit"
SHIPPED = load_all(default_catalog())
EXEMPLARY = make_uscc(7001)  # one minor warning, graded by the batch run
SECRET = "test-secret"
PASSWORD = "correct-horse-battery"


def _marks(session, subject_id=None):
    stmt = select(StaleMark).order_by(StaleMark.id)
    if subject_id is not None:
        stmt = stmt.where(StaleMark.subject_id == subject_id)
    return list(session.scalars(stmt))


@pytest.fixture
def pushed(session):
    """A department's penalty of the enterprise ``USCC``, pushed through the API path."""
    accounts.create_department(
        session, code=SCJG, name="杭州市西湖区市场监督管理局", sector="market_regulation", now=NOW
    )
    row = penalty_row()
    report = push(session, SCJG, [row])
    subject_id = session.scalar(select(Subject.id).where(Subject.uscc == USCC))
    return row, report, subject_id


class TestMarks:
    def test_an_ingest_chunk_marks_the_subjects_whose_records_it_stored(self, session, pushed):
        _, report, subject_id = pushed
        (mark,) = _marks(session)
        assert (mark.subject_id, mark.model_id) == (subject_id, EVERY_MODEL)
        assert mark.reason == f"ingest:{report['batch_id']}"
        assert (mark.since, mark.version) == (NOW, 1)

    def test_a_row_pushed_again_unchanged_marks_nothing(self, session, pushed):
        row, _, _ = pushed
        session.execute(StaleMark.__table__.delete())
        push(session, SCJG, [row])
        assert session.scalar(select(Batch.unchanged).order_by(Batch.id.desc()).limit(1)) == 1
        assert _marks(session) == []

    def test_marking_a_marked_subject_again_keeps_one_row_since_the_first_mark(
        self, session, pushed
    ):
        _, _, subject_id = pushed
        later = NOW + timedelta(hours=1)
        freshness.mark_stale(session, [subject_id, subject_id], reason="repair", now=later)
        session.expire_all()
        (mark,) = _marks(session)
        assert (mark.since, mark.marked_at, mark.reason, mark.version) == (NOW, later, "repair", 2)

    def test_a_mark_made_during_a_worker_pass_survives_it(self, session, pushed):
        _, _, subject_id = pushed
        read = freshness.pending(session, limit=10, model_wide=False)
        freshness.mark_stale(session, [subject_id], reason="objection", now=NOW)
        assert freshness.clear(session, read) == 0
        assert len(_marks(session, subject_id)) == 1
        assert freshness.clear(session, freshness.pending(session, limit=10, model_wide=False)) == 1
        assert _marks(session) == []

    def test_a_publication_is_one_model_wide_mark_however_often_it_is_made(self, session):
        for _ in range(2):
            freshness.mark_model(session, MODEL, reason=freshness.PUBLICATION, now=NOW)
        session.expire_all()
        (mark,) = _marks(session)
        assert (mark.subject_id, mark.model_id, mark.version) == (None, MODEL, 2)
        assert freshness.is_stale({(None, MODEL)}, 42, MODEL)
        assert not freshness.is_stale({(None, MODEL)}, 42, "personal_credit")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("fresh"), secret_key=SECRET)
    key = seed_market_regulator(engine, secret=SECRET, code=SCJG)
    client = TestClient(create_app(settings, engine=engine))
    client.engine = engine
    client.system = {"X-API-Key": key}
    client.push = lambda row: client.post(
        "/api/v1/records:batch",
        headers=client.system,
        json={"type": "administrative_penalty", "rows": [row]},
    )
    warning = penalty_row(
        CF_XDR_SHXYM=EXEMPLARY,
        CF_XDR_MC="杭州守信示范有限公司",
        CF_CFLB="警告",
        处罚程序="简易程序",
    )
    assert client.push(warning).status_code == 200
    run_batch(engine, SHIPPED[MODEL], default_catalog(), as_of=clock.today())
    refresh_stale(
        engine,
        default_catalog(),
        shipped_and_published(default_catalog(), SHIPPED),
        now=clock.now(),
    )
    resp = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    client.admin = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    return client


def _check(api):
    resp = api.post(
        "/api/v1/checks",
        json={"subject_code": EXEMPLARY, "matter": "食品经营许可", "area": "审批服务"},
        headers=api.system,
    )
    assert resp.status_code == 200, resp.text
    (grade,) = [g for g in resp.json()["grades"] if g["model_id"] == MODEL]
    return resp.json(), grade


def _online_grade(api):
    resp = api.get(f"/api/v1/subjects/{EXEMPLARY}/scores", headers=api.system)
    assert resp.status_code == 200, resp.text
    return next(s["grade"] for s in resp.json()["scores"] if s["model_id"] == MODEL)


def _pass(api):
    """One worker pass: the chore the worker runs after every round of deliveries."""
    return refresh_stale(
        api.engine,
        default_catalog(),
        shipped_and_published(default_catalog(), SHIPPED),
        now=clock.now(),
    )


def _stale_marks(api):
    with unit_of_work(api.engine) as s:
        return [(m.subject_id is None, m.model_id, m.reason) for m in _marks(s)]


def test_before_a_serious_penalty_the_check_reads_the_stored_grade(api):
    body, grade = _check(api)
    assert grade["online"] is False
    assert grade["grade"] in ("优秀", "良好")
    assert body["decision"] != "从严审查"
    api.before = grade


def test_a_serious_penalty_weighs_on_the_checks_grade_before_the_worker_passes(api):
    serious = penalty_row(
        CF_XDR_SHXYM=EXEMPLARY, CF_XDR_MC="杭州守信示范有限公司", CF_CFLB="吊销营业执照"
    )
    assert api.push(serious).status_code == 200
    ((model_wide, model_id, reason),) = _stale_marks(api)
    assert (model_wide, model_id, reason[: len("ingest:")]) == (False, EVERY_MODEL, "ingest:")

    body, grade = _check(api)
    assert grade["online"] is True
    assert grade["grade"] == _online_grade(api) != api.before["grade"]
    assert body["decision"] == "从严审查"
    (strict,) = [m for m in body["measures"] if m["id"] == "approval_strict_review_dishonest"]
    assert "实时计算" in strict["reason"]


def test_one_worker_pass_stores_the_fresh_grade_and_the_check_reads_it(api):
    report = _pass(api)

    assert report.subjects == 1 and report.cleared == 1
    assert _stale_marks(api) == []
    body, grade = _check(api)
    assert grade["online"] is False
    assert grade["as_of"] == clock.today().isoformat()
    assert grade["model_version"] == SHIPPED[MODEL].scorecard.version
    assert grade["grade"] == _online_grade(api) != api.before["grade"]
    assert body["decision"] == "从严审查"
    (strict,) = [m for m in body["measures"] if m["id"] == "approval_strict_review_dishonest"]
    assert "实时计算" not in strict["reason"]


def test_the_credit_file_says_which_model_version_and_date_its_grade_comes_from(api):
    own = api.get(f"/api/v1/subjects/{EXEMPLARY}/file", headers=api.admin)
    public = api.get(f"/api/v1/subjects/{EXEMPLARY}/file")

    assert own.status_code == public.status_code == 200, own.text
    (grade,) = [g for g in own.json()["grades"] if g["model_id"] == MODEL]
    _, checked = _check(api)
    assert grade == {
        "model_id": MODEL,
        "model_name": SHIPPED[MODEL].scorecard.name,
        "model_version": checked["model_version"],
        "grade": checked["grade"],
        "as_of": checked["as_of"],
        "online": False,
    }
    assert public.json()["grades"] is None


def test_a_publication_marks_the_model_and_one_worker_pass_evaluates_it_in_batch(api):
    data = yaml.safe_load(SHIPPED[MODEL].path.read_text(encoding="utf-8"))
    data["version"] = 2
    draft = api.post(
        "/api/v1/models/drafts",
        json={"yaml": yaml.safe_dump(data, allow_unicode=True, sort_keys=False)},
        headers=api.admin,
    )
    assert draft.status_code == 201, draft.text
    base = f"/api/v1/models/{MODEL}/versions/2"
    assert api.post(f"{base}/dry-run", headers=api.admin).status_code == 200
    assert api.post(f"{base}/publish", headers=api.admin).status_code == 200
    assert _stale_marks(api) == [(True, MODEL, "publication")]
    _, before_pass = _check(api)
    assert (before_pass["model_version"], before_pass["online"]) == (2, True)

    report = _pass(api)

    assert report.batch_models == [SHIPPED[MODEL].scorecard.name]
    assert _stale_marks(api) == []
    with unit_of_work(api.engine) as s:
        run = s.scalars(select(ScoreRun).where(ScoreRun.model_version == 2)).one()
        stored = s.scalar(
            select(Score.grade).where(Score.model_version == 2, Score.run_id == run.id).limit(1)
        )
    assert (run.actor, run.status) == ("worker", "completed")
    _, after_pass = _check(api)
    assert (after_pass["model_version"], after_pass["online"]) == (2, False)
    assert after_pass["grade"] == before_pass["grade"] and stored is not None
