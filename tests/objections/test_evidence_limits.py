"""Evidence of one objection is limited per file, in number and in bytes, each a setting,
refused with a Chinese 413/422 naming the field; a refused objection leaves nothing behind
(no objection, no flag)."""

from __future__ import annotations

import base64
import itertools

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from objections.conftest import record_id
from objections.world import SCJG, SECRET, penalty
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.objections.models import Objection
from xinyong.records.models import Record
from xinyong.web.app import create_app

_numbers = itertools.count(500)


def _file(size: int) -> dict:
    return {"filename": "证据.pdf", "content_base64": base64.b64encode(b"%" * size).decode()}


@pytest.fixture
def limited(platform, tmp_path):
    """The platform under a deployment allowing 2 evidence files of 2 KB, 3 000 bytes in all."""
    settings = Settings(
        data_dir=tmp_path,
        secret_key=SECRET,
        objection_evidence_max_file_bytes=2048,
        objection_evidence_max_files=2,
        objection_evidence_max_total_bytes=3000,
    )
    return TestClient(create_app(settings, engine=platform.engine))


@pytest.fixture
def number(platform) -> str:
    n = next(_numbers)
    resp = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={"type": "administrative_penalty", "rows": [penalty(n)]},
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1, resp.text
    return f"西市监罚〔2026〕{n}号"


def _file_objection(client, platform, number, evidence, user="qiye"):
    return client.post(
        "/api/v1/objections",
        json={"record_id": record_id(platform, number), "reason": "有误", "evidence": evidence},
        headers=platform.tokens[user],
    )


def _nothing_left(platform, number) -> bool:
    rid = record_id(platform, number)
    with unit_of_work(platform.engine) as s:
        filed = s.scalar(
            select(func.count()).select_from(Objection).where(Objection.record_id == rid)
        )
        return filed == 0 and s.get_one(Record, rid).disputed is False


def test_an_evidence_file_over_the_limit_is_413_naming_the_file(platform, limited, number):
    resp = _file_objection(limited, platform, number, [_file(100), _file(2049)])
    assert resp.status_code == 413
    assert resp.json()["code"] == "objection.evidence_too_large"
    assert resp.json()["errors"][0]["field"] == "evidence[1].content_base64"
    assert resp.json()["title"] == "单个证据材料不能超过 2 KB"
    assert _nothing_left(platform, number)


def test_evidence_over_the_total_is_413_on_the_list(platform, limited, number):
    resp = _file_objection(limited, platform, number, [_file(2000), _file(2000)], user="bank")
    assert resp.status_code == 413
    assert resp.json()["code"] == "objection.evidence_total_too_large"
    assert resp.json()["errors"][0]["field"] == "evidence"
    assert _nothing_left(platform, number)


def test_too_many_evidence_files_are_422_on_the_list(platform, limited, number):
    resp = _file_objection(limited, platform, number, [_file(10)] * 3, user="bank")
    assert resp.status_code == 422
    assert resp.json()["code"] == "objection.evidence_too_many"
    assert resp.json()["title"] == "一件异议最多提交 2 个证据材料"
    assert _nothing_left(platform, number)


def test_evidence_within_the_limits_is_kept(platform, limited, number):
    resp = _file_objection(limited, platform, number, [_file(1500), _file(1500)], user="bank")
    assert resp.status_code == 201, resp.text
    assert [e["size"] for e in resp.json()["evidence"]] == [1500, 1500]


def test_the_shipped_defaults_refuse_a_hundred_megabytes_of_evidence(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key=SECRET)
    assert settings.objection_evidence_max_total_bytes == 20 * 1024 * 1024
    assert settings.repair_proof_max_total_bytes == 20 * 1024 * 1024
