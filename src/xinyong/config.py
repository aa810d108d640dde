"""Settings: the one place xinyong reads the environment (prefix ``XINYONG_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


def default_data_dir() -> Path:
    """Where the embedded database lives unless configured: ``~/.xinyong`` (printed by the demo)."""
    return Path.home() / ".xinyong"


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
    timezone: str = "Asia/Shanghai"

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
