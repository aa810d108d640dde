"""Proofs of one repair application are limited per file, in number and in bytes — the first
upload and every supplement together — each limit a setting, refused with a Chinese 413/422
naming the field; a refused upload leaves nothing behind."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from factories.records import penalty_row
from repair.world import SCJG, SECRET, USCC
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.records.models import Record
from xinyong.repair.models import RepairApplication, RepairMaterial
from xinyong.web.app import create_app


def _file(size: int, name: str = "履行证明.pdf") -> dict:
    return {"filename": name, "content_base64": base64.b64encode(b"%" * size).decode()}


@pytest.fixture
def limited(platform, tmp_path):
    """The platform under a deployment allowing 3 proofs of 2 KB each, 5 KB in all."""
    settings = Settings(
        data_dir=tmp_path,
        secret_key=SECRET,
        repair_proof_max_file_bytes=2048,
        repair_proof_max_files=3,
        repair_proof_max_total_bytes=5000,
    )
    return TestClient(create_app(settings, engine=platform.engine))


@pytest.fixture
def record_id(platform) -> int:
    """A fresh penalty of the enterprise, eligible for repair now."""
    row = penalty_row()
    resp = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={"type": "administrative_penalty", "rows": [row]},
    )
    assert resp.status_code == 200 and resp.json()["accepted"] == 1, resp.text
    with unit_of_work(platform.engine) as s:
        return s.scalar(
            select(Record.id).where(Record.fields["decision_number"].as_string() == row["CF_WSH"])
        )


def _apply(client, platform, record_id, proofs):
    return client.post(
        "/api/v1/repair/applications",
        json={
            "subject_code": USCC,
            "record_ids": [record_id],
            "commitment": {"accepted": True, "signer_name": "张三"},
            "proofs": proofs,
        },
        headers=platform.tokens["qiye"],
    )


def _applications(platform) -> int:
    with unit_of_work(platform.engine) as s:
        return s.scalar(select(func.count()).select_from(RepairApplication))


def test_a_proof_file_over_the_limit_is_413_naming_the_file(platform, limited, record_id):
    before = _applications(platform)
    resp = _apply(limited, platform, record_id, [_file(1000), _file(2049)])
    assert resp.status_code == 413
    body = resp.json()
    assert body["code"] == "repair.proof_too_large"
    assert body["errors"][0]["field"] == "proofs[1].content_base64"
    assert body["title"] == "单个证明文件不能超过 2 KB"
    assert _applications(platform) == before


def test_proofs_over_the_total_are_413_on_the_list(platform, limited, record_id):
    resp = _apply(limited, platform, record_id, [_file(2000), _file(2000), _file(2000)])
    assert resp.status_code == 413
    assert resp.json()["code"] == "repair.proofs_total_too_large"
    assert resp.json()["errors"][0]["field"] == "proofs"
    assert resp.json()["title"] == "本申请全部证明材料合计不能超过 4.88 KB"


def test_too_many_proofs_are_422_on_the_list(platform, limited, record_id):
    resp = _apply(limited, platform, record_id, [_file(10)] * 4)
    assert resp.status_code == 422
    assert resp.json()["code"] == "repair.proofs_too_many"
    assert "最多提交 3 个证明文件" in resp.json()["title"]


def test_a_supplement_counts_the_proofs_the_application_already_holds(platform, limited, record_id):
    app = _apply(limited, platform, record_id, [_file(100), _file(100)])
    assert app.status_code == 201, app.text
    task = app.json()["tasks"][0]
    asked = platform.post(
        f"/api/v1/repair/tasks/{task['id']}/supplement-request",
        json={"reason": "请补充缴款凭证"},
        headers=platform.tokens[f"reviewer-{SCJG}"],
    )
    assert asked.status_code == 200, asked.text
    url = f"/api/v1/repair/applications/{app.json()['id']}/supplement"
    two = limited.post(url, json={"proofs": [_file(10)] * 2}, headers=platform.tokens["qiye"])
    assert two.status_code == 422
    assert two.json()["code"] == "repair.proofs_too_many"
    assert "已提交 2 个" in two.json()["title"]
    assert two.json()["errors"][0]["field"] == "proofs"
    one = limited.post(url, json={"proofs": [_file(10)]}, headers=platform.tokens["qiye"])
    assert one.status_code == 200, one.text
    with unit_of_work(platform.engine) as s:
        held = s.scalar(
            select(func.count()).where(
                RepairMaterial.application_id == app.json()["id"], RepairMaterial.kind == "proof"
            )
        )
    assert held == 3
