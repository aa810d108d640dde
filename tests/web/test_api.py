"""The HTTP API end to end: roles, views, problem details, and ID numbers never leaving."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from uvicorn.logging import AccessFormatter

from factories.records import PERSON_ID, penalty_row, person_penalty_row
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role
from xinyong.audit.models import AuditEntry
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.http import logmask
from xinyong.kit import clock
from xinyong.subjects.models import Subject
from xinyong.web.app import create_app

SOURCE = "330106-SCJG"
USCC = "91330106MA2000086A"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, databases, tmp_path_factory):
    """A client on a fresh database with a department key, an admin and an enterprise user."""
    engine = databases.migrated_engine(request.param)
    settings = Settings(data_dir=tmp_path_factory.mktemp("api"), secret_key="test-secret")
    with unit_of_work(engine) as s:
        accounts.create_department(
            s,
            code=SOURCE,
            name="杭州市西湖区市场监督管理局",
            sector="market_regulation",
            now=clock.now(),
        )
        dept_key, _ = accounts.create_api_key(
            s,
            name="西湖市监局系统",
            role=Role.SYSTEM,
            department_code=SOURCE,
            secret="test-secret",
            now=clock.now(),
        )
        accounts.create_user(
            s, username="admin", password=PASSWORD, role=Role.ADMIN, now=clock.now()
        )
    client = TestClient(create_app(settings, engine=engine))
    client.headers_dept = {"X-API-Key": dept_key}
    resp = client.post(
        "/api/v1/records:batch",
        headers=client.headers_dept,
        json={
            "type": "administrative_penalty",
            "rows": [
                penalty_row(CF_WSH="西市监罚〔2026〕1号"),
                person_penalty_row(CF_WSH="西市监罚〔2026〕2号"),
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    with unit_of_work(engine) as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == USCC))
        accounts.create_user(
            s,
            username="qiye",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            subject_id=sid,
            now=clock.now(),
        )
    return client


def _token(client, username):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_openapi_is_published(api):
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/subjects/{code}/file" in spec["paths"]
    assert "/api/v1/records:batch" in spec["paths"]


def test_anonymous_gets_public_view_and_owner_gets_self_view(api):
    assert api.get(f"/api/v1/subjects/{USCC}/file").json()["view"] == "public"
    own = api.get(f"/api/v1/subjects/{USCC}/file", headers=_token(api, "qiye")).json()
    assert own["view"] == "self"
    assert own["bad"][0]["repair_possible_from"] == "2026-07-11"


def test_admin_gets_internal_view(api):
    assert (
        api.get(f"/api/v1/subjects/{USCC}/file", headers=_token(api, "admin")).json()["view"]
        == "internal"
    )


def test_public_search_lists_organisations_not_persons(api):
    names = [i["name"] for i in api.get("/api/v1/subjects", params={"q": "王"}).json()["items"]]
    assert names == []
    internal = api.get("/api/v1/subjects", params={"q": "王"}, headers=_token(api, "admin")).json()
    assert [i["name"] for i in internal["items"]] == ["王**"]


def test_department_cannot_push_for_another_source(api):
    resp = api.post(
        "/api/v1/records:batch",
        headers=api.headers_dept,
        json={"type": "administrative_penalty", "source": "330100-OTHER", "rows": []},
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "ingest.foreign_source"
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_anonymous_cannot_push_records(api):
    resp = api.post("/api/v1/records:batch", json={"type": "administrative_penalty", "rows": []})
    assert resp.status_code == 401


def test_malformed_body_is_a_chinese_422_not_a_500(api):
    resp = api.post("/api/v1/records:batch", headers=api.headers_dept, json={"rows": "x"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "request.invalid"
    assert {e["field"] for e in body["errors"]} >= {"type", "rows"}


def test_unknown_record_type_names_the_field(api):
    resp = api.post(
        "/api/v1/records:batch",
        headers=api.headers_dept,
        json={"type": "no_such_type", "rows": [{}]},
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "type"


def test_quality_requires_a_login_and_reports_per_source(api):
    assert api.get("/api/v1/quality").status_code == 401
    report = api.get("/api/v1/quality", headers=api.headers_dept).json()
    assert report[0]["source"] == SOURCE
    assert report[0]["valid_rows"] >= 2


def test_id_number_never_appears_unmasked(api, caplog):
    caplog.set_level(logging.DEBUG)
    bad_id = "36042619910101007X"  # wrong check character
    legacy = "360426910101007"
    resp = api.post(
        "/api/v1/records:batch",
        headers=api.headers_dept,
        json={
            "type": "administrative_penalty",
            "rows": [
                person_penalty_row(CF_XDR_ZJHM=bad_id),
                person_penalty_row(CF_XDR_ZJHM=legacy),
            ],
        },
    )
    bodies = [resp.text]
    bodies.append(api.get(f"/api/v1/subjects/{PERSON_ID}/file").text)
    bodies.append(api.get(f"/api/v1/subjects/{PERSON_ID}/file", headers=_token(api, "admin")).text)
    bodies.append(api.get(f"/api/v1/subjects/{bad_id}/file").text)
    bodies.append(
        api.get("/api/v1/subjects", params={"q": PERSON_ID}, headers=_token(api, "admin")).text
    )
    bodies.append(api.get(f"/subjects/{PERSON_ID}").text)
    server_logs = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    )
    everything = "\n".join(bodies) + server_logs
    for number in (PERSON_ID, bad_id, legacy):
        assert number not in everything
    assert "360426********0071" in everything


def test_access_log_lines_are_masked():
    logmask.install()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/v1/subjects/{PERSON_ID}/file", "1.1", 200),
        None,
    )
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    assert PERSON_ID not in record.getMessage()
    assert "360426********0071" in record.getMessage()
    # uvicorn's own access formatter still finds its five arguments (it unpacks them).
    formatter = AccessFormatter(
        '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
    )
    line = formatter.format(record)
    assert '"GET /api/v1/subjects/360426********0071/file HTTP/1.1" 200' in line


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/subjects/360426%2019910101%200071/file",
        "/api/v1/subjects/360426-1991-0101-0071/file",
        "/api/v1/subjects/360426%E3%80%8019910101%E3%80%800071/file",
        "/api/v1/subjects/ID360426199101010071/file",
    ],
)
def test_access_log_masks_id_numbers_written_with_separators(path):
    logmask.install()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 404),
        None,
    )
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    line = record.getMessage()
    assert "19910101" not in line
    assert "360426********0071" in line


def test_access_log_masks_the_name_sent_with_a_person_look_up():
    logmask.install()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            f"/api/v1/subjects/{PERSON_ID}/file?name=%E7%8E%8B%E5%B0%8F%E6%98%8E",
            "1.1",
            200,
        ),
        None,
    )
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    line = record.getMessage()
    assert "王小明" not in line and "%E5%B0%8F" not in line
    assert "name=王**" in line


def test_portal_search_and_file_pages_render_in_chinese(api):
    page = api.get("/", params={"q": "西湖"})
    assert page.status_code == 200
    assert "杭州西湖示范科技有限公司" in page.text
    file_page = api.get(f"/subjects/{USCC}")
    assert "失信信息" in file_page.text
    assert api.get("/subjects/91330106MA2000086B").status_code == 422


def test_department_lists_its_batches_and_reads_one_with_rejects(api):
    resp = api.post(
        "/api/v1/records:batch",
        headers=api.headers_dept,
        json={
            "type": "administrative_penalty",
            "rows": [penalty_row(CF_WSH="西市监罚〔2026〕99号", CF_JDRQ="2024-02-30")],
        },
    )
    batch_id = resp.json()["batch_id"]
    listing = api.get("/api/v1/ingest/batches", headers=api.headers_dept).json()
    assert listing["items"][0]["batch_id"] == batch_id
    assert {i["source"] for i in listing["items"]} == {SOURCE}
    report = api.get(f"/api/v1/ingest/batches/{batch_id}", headers=api.headers_dept).json()
    assert report["rejected"] == 1
    with unit_of_work(api.app.state.engine) as s:
        read = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (read.action, read.object_id) == ("ingest.batch_read", str(batch_id))
    assert report["rejects"][0]["code"] == "date.invalid"


def test_batches_need_a_source_account(api):
    assert api.get("/api/v1/ingest/batches").status_code == 401
    resp = api.get("/api/v1/ingest/batches", headers=_token(api, "qiye"))
    assert resp.status_code == 403
    assert resp.json()["code"] == "ingest.not_a_source"
    assert api.get("/api/v1/ingest/batches/999999", headers=api.headers_dept).status_code == 404


def _person_lookups(api) -> list[bool]:
    with unit_of_work(api.app.state.engine) as s:
        return [
            e.detail["found"]
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "subject.person_lookup")
                .order_by(AuditEntry.id)
            )
        ]


def test_person_file_over_http_needs_the_name_and_every_look_up_is_audited(api):
    before = _person_lookups(api)
    url = f"/api/v1/subjects/{PERSON_ID}/file"
    no_name = api.get(url)
    assert no_name.status_code == 422
    assert no_name.json()["code"] == "subject.person_name_required"
    wrong = api.get(url, params={"name": "王大明"})
    unknown = api.get("/api/v1/subjects/11010519491231002X/file", params={"name": "王小明"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    right = api.get(url, params={"name": "王小明"})
    assert right.status_code == 200
    assert right.json()["subject"]["name"] == "王**"
    # The refused look-ups are audited although the request failed.
    assert _person_lookups(api)[len(before) :] == [False, False, True]


def test_portal_finds_a_person_by_posted_name_and_number_only(api):
    page = api.get("/")
    assert 'action="/persons"' in page.text
    found = api.post("/persons", data={"name": "王小明", "id_number": PERSON_ID})
    assert found.status_code == 200
    assert "王**" in found.text and "王小明" not in found.text
    missed = api.post("/persons", data={"name": "王晓明", "id_number": PERSON_ID})
    assert missed.status_code == 404
    assert "未找到该信用主体" in missed.text
