"""Working-day deadlines of an application on the official calendar (DOMAIN decision 3 and 9):
across the 2026 Spring Festival, and provisional in 2027 where the calendar is not yet known."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from factories.records import penalty_row
from repair.world import OTHER_USCC, PROOF, SCJG
from xinyong.accounts import service as accounts
from xinyong.accounts.models import User
from xinyong.db import unit_of_work
from xinyong.kit import clock


def _push_and_apply(platform, monkeypatch, *, now, decision_number, decided_on, valid_to):
    monkeypatch.setattr(clock, "now", lambda: now)
    pushed = platform.post(
        "/api/v1/records:batch",
        headers=platform.keys[SCJG],
        json={
            "type": "administrative_penalty",
            "rows": [
                penalty_row(
                    CF_WSH=decision_number,
                    CF_JDRQ=decided_on,
                    CF_YXQ=valid_to,
                    CF_XDR_SHXYM=OTHER_USCC,
                    CF_XDR_MC="别家公司",
                )
            ],
        },
    )
    assert pushed.status_code == 200 and pushed.json()["rejected"] == 0, pushed.text
    # A token issued at the patched date (one from the fixture's date has expired by 2027).
    with unit_of_work(platform.engine) as s:
        user = s.scalar(select(User).where(User.username == "qiye2"))
        token, _ = accounts.issue_token(s, user=user, now=now, ttl=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    items = platform.get(
        "/api/v1/repair/eligibility", params={"subject_code": OTHER_USCC}, headers=headers
    )
    assert items.status_code == 200, items.text
    items = items.json()["items"]
    record_id = next(i["record_id"] for i in items if i["title"] == decision_number)
    resp = platform.post(
        "/api/v1/repair/applications",
        json={
            "subject_code": OTHER_USCC,
            "record_ids": [record_id],
            "commitment": {"accepted": True, "signer_name": "李四"},
            "proofs": [{"filename": "履行证明.pdf", "content_base64": PROOF}],
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_department_deadline_skips_the_2026_spring_festival(platform, monkeypatch):
    # Friday 2026-02-13: Saturday 02-14 is a make-up workday, 02-15 … 02-23 are off.
    app = _push_and_apply(
        platform,
        monkeypatch,
        now=datetime(2026, 2, 13, 10, 0, tzinfo=clock.SHANGHAI),
        decision_number="西市监罚〔2025〕901号",
        decided_on="2025-06-01",
        valid_to="2026-06-01",
    )
    (task,) = app["tasks"]
    assert task["due_on"] == "2026-02-25"
    assert task["due_provisional"] is False
    assert app["feedback_due_on"] == "2026-03-05"


def test_deadline_in_2027_is_provisional(platform, monkeypatch):
    app = _push_and_apply(
        platform,
        monkeypatch,
        now=datetime(2027, 3, 1, 10, 0, tzinfo=clock.SHANGHAI),
        decision_number="西市监罚〔2026〕902号",
        decided_on="2026-06-01",
        valid_to="2027-06-01",
    )
    (task,) = app["tasks"]
    assert task["due_on"] == "2027-03-04"  # Mon–Fri counted: the 2027 calendar is unknown
    assert task["due_provisional"] is True
    assert app["feedback_due_provisional"] is True
