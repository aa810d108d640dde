"""Settings: the one place xinyong reads the environment (prefix ``XINYONG_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


def default_data_dir() -> Path:
    """Where the embedded database lives unless configured: ``~/.xinyong`` (printed by the demo)."""
    return Path.home() / ".xinyong"


def default_sync_platforms_path() -> Path:
    """The shipped platform definitions (``xinyong/sync/definitions/platforms.yaml``)."""
    return Path(__file__).parent / "sync" / "definitions" / "platforms.yaml"


def env_secret(name: str) -> SecretStr | None:
    """A secret named in a definition file (e.g. a platform's webhook key), read from the
    environment here so that no other module reads it; ``None`` when unset or empty."""
    value = os.environ.get(name)
    return SecretStr(value) if value else None


class Settings(BaseSettings):
    """Runtime configuration. Tests build their own instance instead of patching the environment."""

    model_config = SettingsConfigDict(env_prefix="XINYONG_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    # Key for the HMAC of resident ID numbers and for API-key hashes. A deployment must set it;
    # the default only keeps the embedded demo usable and is reported by `xinyong demo`.
    secret_key: SecretStr = SecretStr("xinyong-demo-secret-change-me")
    token_ttl_minutes: int = 8 * 60
    # GB 11714 check of USCC position 17: off by default (DOMAIN.md decision 2).
    strict_org_code: bool = False
    ingest_chunk_rows: int = 5000
    # Worker processes preparing chunks of large files while the main process stores.
    ingest_workers: int = 0
    # Limits on what one request or imported file may hold; each refusal names its limit.
    # Request bodies, counted as the bytes arrive whatever Content-Length says (http/limits.py):
    # a full 5 000-row POST /records:batch or a 10 MB file in base64 fits.
    max_request_body_bytes: int = Field(default=32 << 20, ge=1024)
    # An imported file, and for XLSX the unpacked size of its parts (a zip bomb); 1 GB holds
    # about 1.8 million 双公示 rows.
    ingest_max_file_bytes: int = Field(default=1 << 30, ge=1024)
    # Rows per file (per sheet for XLSX), blank rows included: Excel's own maximum.
    ingest_max_rows: int = Field(default=1_048_576, ge=1)
    # Columns of the header row.
    ingest_max_columns: int = Field(default=1_000, ge=1)
    # Characters in one cell of a field whose catalog entry sets no max_length (files and
    # POST /records:batch): far above any 违法事实, far below the megabyte that reached the
    # public file.
    ingest_max_field_chars: int = Field(default=4_000, ge=1)
    # Rejected rows of one batch past which the import stops (status stopped; rows stored
    # so far are kept).
    ingest_max_rejects: int = Field(default=10_000, ge=0)
    timezone: str = "Asia/Shanghai"
    # Requests per minute per API key (unless the key sets its own) and per logged-in user,
    # and per client IP for anonymous callers; enforced per worker process (http/ratelimit.py).
    rate_limit_per_minute: int = 1200
    anonymous_rate_limit_per_minute: int = 300
    rate_limits_enabled: bool = True
    # Credit platforms the repair results are delivered to (xinyong.sync); the shipped file
    # drops JSON files under <data_dir>/sync/<platform>/ so the demo needs no network.
    sync_platforms_path: Path = Field(default_factory=default_sync_platforms_path)
    sync_timeout_seconds: float = 10.0
    # A delivery is shown as failing after this many attempts; it keeps being retried.
    sync_failing_after: int = 5
    # A claim left in "sending" this long (worker killed) is claimed again.
    sync_lease_seconds: int = 300
    # Objection limits in working days (DOMAIN.md decision 5, 《上海市社会信用条例》第三十六条):
    # flag, decision by the providing department after receipt.
    objection_flag_workdays: int = Field(default=1, ge=0, le=30)
    objection_decision_workdays: int = Field(default=5, ge=1, le=60)

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'xinyong.db').as_posix()}"

    @property
    def display_database_url(self) -> str:
        """The database URL safe to print: any password replaced by ***."""
        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

    @property
    def hmac_key(self) -> bytes:
        """The key of the ID-number HMAC (the secret as bytes)."""
        return self.secret_key.get_secret_value().encode()

    @property
    def is_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == "xinyong-demo-secret-change-me"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings read once from the environment."""
    return Settings()
