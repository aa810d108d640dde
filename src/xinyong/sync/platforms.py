"""The credit platforms, as data (``definitions/platforms.yaml``), validated by pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.config import Settings, env_secret
from xinyong.errors import FieldError
from xinyong.sync.errors import PlatformsError

PlatformId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$")]


class FileDropSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["file_drop"]
    directory: str = Field(min_length=1)


class WebhookSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    timeout_seconds: float | None = Field(default=None, gt=0, le=120)


class PlatformSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PlatformId
    name: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    record_types: list[str] | None = None
    # Sectors of the departments whose records it publishes (e.g. market_regulation for
    # 国家企业信用信息公示系统); omitted = every sector.
    sectors: list[str] | None = None
    adapter: FileDropSpec | WebhookSpec = Field(discriminator="kind")


class PlatformsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    platforms: list[PlatformSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PlatformsFile:
        ids = [p.id for p in self.platforms]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"平台编号重复：{', '.join(duplicates)}")
        return self


@dataclass(frozen=True)
class Platform:
    """A platform ready to use: its adapter's settings resolved (directory, secret)."""

    id: str
    name: str
    reference: str
    record_types: frozenset[str] | None
    kind: Literal["file_drop", "webhook"]
    directory: Path | None = None
    url: str | None = None
    secret: bytes | None = None
    timeout_seconds: float = 10.0
    sectors: frozenset[str] | None = None

    def applies_to(self, record_type: str, sector: str | None = None) -> bool:
        """Whether this platform publishes records of ``record_type`` from a department of
        ``sector``."""
        if self.record_types is not None and record_type not in self.record_types:
            return False
        return self.sectors is None or sector in self.sectors


@dataclass(frozen=True)
class Platforms:
    """The configured platforms, in file order; ``failing_after`` and ``lease_seconds`` from
    the settings."""

    items: tuple[Platform, ...]
    version: int
    failing_after: int = 5
    lease_seconds: int = 300

    def get(self, platform_id: str) -> Platform | None:
        return next((p for p in self.items if p.id == platform_id), None)

    def for_record_type(self, record_type: str, sector: str | None = None) -> list[Platform]:
        """The platforms a result about a record of ``record_type`` from a department of
        ``sector`` goes to."""
        return [p for p in self.items if p.applies_to(record_type, sector)]


def _errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(".".join(str(x) for x in e["loc"]) or "file", "sync.invalid_platforms", e["msg"])
        for e in exc.errors()
    ]


def load_platforms(
    settings: Settings,
    *,
    path: Path | None = None,
    secrets: Mapping[str, bytes] | None = None,
) -> Platforms:
    """Read and validate the platform file; fail loudly (``PlatformsError``) on a bad file or a
    webhook whose secret is not set. ``secrets`` (by ``secret_env`` name) replaces the
    environment, for tests."""
    path = path or settings.sync_platforms_path
    spec = _read(path)
    return Platforms(
        items=tuple(_platform(p, settings, path, secrets) for p in spec.platforms),
        version=spec.version,
        failing_after=settings.sync_failing_after,
        lease_seconds=settings.sync_lease_seconds,
    )


def _read(path: Path) -> PlatformsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PlatformsFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise PlatformsError(
            path, [FieldError("file", "sync.invalid_platforms", str(exc))]
        ) from exc
    except ValidationError as exc:
        raise PlatformsError(path, _errors(exc)) from exc


def _platform(
    p: PlatformSpec, settings: Settings, path: Path, secrets: Mapping[str, bytes] | None
) -> Platform:
    """One platform with its adapter's settings resolved: a drop directory under the data
    directory unless absolute, a webhook's signing secret from the environment."""
    record_types = frozenset(p.record_types) if p.record_types is not None else None
    sectors = frozenset(p.sectors) if p.sectors is not None else None
    if isinstance(p.adapter, FileDropSpec):
        directory = Path(p.adapter.directory)
        if not directory.is_absolute():
            directory = settings.data_dir / directory
        return Platform(
            p.id,
            p.name,
            p.reference,
            record_types,
            "file_drop",
            directory=directory,
            sectors=sectors,
        )
    if secrets is not None:
        secret = secrets.get(p.adapter.secret_env)
    else:
        found = env_secret(p.adapter.secret_env)
        secret = found.get_secret_value().encode() if found else None
    if not secret:
        problem = FieldError(
            f"{p.id}.adapter.secret_env",
            "sync.secret_missing",
            f"{p.name} 的签名密钥未设置（环境变量 {p.adapter.secret_env}）",
        )
        raise PlatformsError(path, [problem])
    return Platform(
        p.id,
        p.name,
        p.reference,
        record_types,
        "webhook",
        url=p.adapter.url,
        secret=secret,
        timeout_seconds=p.adapter.timeout_seconds or settings.sync_timeout_seconds,
        sectors=sectors,
    )
