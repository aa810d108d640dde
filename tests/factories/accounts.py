"""Builders for accounts: plain functions, overrides as keyword arguments."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts import service
from xinyong.accounts.models import ApiKey, Department, Role, User
from xinyong.db import unit_of_work

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
SECRET = "test-secret"

_seq = itertools.count(1)


def make_department(session: Session, **overrides: Any) -> Department:
    n = next(_seq)
    fields: dict[str, Any] = {
        "code": f"330100-T{n:04d}",
        "name": f"杭州市测试局{n}",
        "uscc": None,
        "sector": "market_regulation",
        "now": NOW,
    }
    fields.update(overrides)
    return service.create_department(session, **fields)


def make_user(session: Session, **overrides: Any) -> User:
    """A department user of a new department unless ``role``/``department_code`` say otherwise."""
    n = next(_seq)
    fields: dict[str, Any] = {
        "username": f"user{n}",
        "password": PASSWORD,
        "role": Role.DEPARTMENT,
        "display_name": f"测试用户{n}",
        "subject_id": None,
        "now": NOW,
    }
    fields.update(overrides)
    role = Role(fields["role"])
    if "department_code" not in fields:
        needs_department = role in (Role.DEPARTMENT, Role.REVIEWER)
        fields["department_code"] = make_department(session).code if needs_department else None
    if role == Role.ENTERPRISE and fields["subject_id"] is None:
        fields["subject_id"] = 1000 + n
    return service.create_user(session, **fields)


def make_api_key(session: Session, **overrides: Any) -> tuple[str, ApiKey]:
    """A system key unless overridden; returns the plain key and the row."""
    n = next(_seq)
    fields: dict[str, Any] = {
        "name": f"测试密钥{n}",
        "role": Role.SYSTEM,
        "department_code": None,
        "subject_id": None,
        "secret": SECRET,
        "now": NOW,
    }
    fields.update(overrides)
    return service.create_api_key(session, **fields)


def make_reviewing_departments(
    session: Session,
    departments: list[tuple[str, str, str]],
    *,
    reviewer_prefix: str = "reviewer",
    password: str = PASSWORD,
    secret: str = SECRET,
    now: datetime = NOW,
) -> dict[str, str]:
    """Departments ``(code, name, sector)`` each with its system's API key (returned by code)
    and a reviewer account ``<reviewer_prefix>-<code>``: the government side of a workflow."""
    keys = {}
    for code, name, sector in departments:
        service.create_department(session, code=code, name=name, sector=sector, now=now)
        keys[code], _ = service.create_api_key(
            session,
            name=f"{name}系统",
            role=Role.SYSTEM,
            department_code=code,
            secret=secret,
            now=now,
        )
        service.create_user(
            session,
            username=f"{reviewer_prefix}-{code}",
            password=password,
            role=Role.REVIEWER,
            department_code=code,
            now=now,
        )
    return keys


def seed_market_regulator(
    engine: Any, *, secret: str, code: str = "330106-SCJG", admin_password: str = PASSWORD
) -> str:
    """A committed market-regulation department with its business system's API key (returned)
    and an administrator ``admin``: what a test of the HTTP API on its own database starts from."""
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        service.create_department(
            s, code=code, name="杭州市西湖区市场监督管理局", sector="market_regulation", now=now
        )
        key, _ = service.create_api_key(
            s, name="西湖市监局系统", role=Role.SYSTEM, department_code=code, secret=secret, now=now
        )
        service.create_user(s, username="admin", password=admin_password, role=Role.ADMIN, now=now)
    return key
