"""Responses of sync."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    outcome: str = Field(description="acknowledged、http_error、timeout、error、lease_expired")
    http_status: int | None
    error: str | None
    worker: str


class DeliveryRead(BaseModel):
    id: int
    platform: str
    platform_name: str
    kind: str
    object_type: str
    object_id: int
    record_type: str
    status: str
    status_label: str
    attempts: int
    created_at: datetime
    due_on: date = Field(description="应在此日前由平台确认（3 个工作日）")
    due_provisional: bool
    overdue: bool = Field(description="未确认且已过到期日")
    next_attempt_at: datetime | None
    acknowledged_at: datetime | None
    last_error: str | None


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any]
    receipt: dict[str, Any] | None
    attempt_log: list[AttemptRead]


class PlatformRead(BaseModel):
    id: str
    name: str
    adapter: str
    target: str = Field(description="webhook 地址或投递目录")
    record_types: list[str] | None = Field(description="适用的信息类型；空表示全部")
    reference: str
    unacknowledged: int
    overdue: int
