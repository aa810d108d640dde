"""Settings: the one place xinyong reads the environment (prefix ``XINYONG_``)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

# The secret shipped in the source: public, so every hash made with it can be reversed. Only
# `xinyong demo` runs with it (and only on a data directory it seeded with it before it made
# its own per-installation key); every other command refuses (console.require_secret_key).
DEFAULT_SECRET: Final = "xinyong-demo-secret-change-me"
# The per-installation key `xinyong demo` generates in its data directory (mode 0600).
SECRET_KEY_FILE: Final = "secret.key"
MIB = 1024 * 1024


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
    # Unset, the key `xinyong demo` generated in <data_dir>/secret.key is used if there is one.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
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
    # Seconds a process trusts the definitions it holds before it asks the database again
    # whether something was published (one small query); 0 asks on every request that
    # reads definitions, so every worker serves a publication from the next request on.
    definitions_ttl_seconds: float = Field(default=0, ge=0, le=300)
    # Requests per minute per API key (unless the key sets its own) and per logged-in user,
    # and per client IP for anonymous callers; enforced per worker process (http/ratelimit.py).
    rate_limit_per_minute: int = 1200
    anonymous_rate_limit_per_minute: int = 300
    rate_limits_enabled: bool = True
    # Reverse proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated
    # ("10.0.0.5,10.1.0.0/16"). Empty: the connecting address is the client, whatever it sends.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Requests with a wrong, expired or revoked token or API key per client address and minute;
    # past it they get 429 instead of 401 (0 = unlimited).
    failed_auth_per_minute: int = Field(default=30, ge=0)
    # Look-ups of a person (name + ID number) per hour by one anonymous address or one account
    # outside government: an ID number differs from its public masked form only in the birth
    # date, so a large budget would let the numbers be recovered by guessing (0 = unlimited).
    person_lookups_per_hour: int = Field(default=20, ge=0)
    # Login throttling (accounts/login.py): failed logins within the window before a temporary
    # lockout, per username (known or not) and per client address; 0 turns a limit off.
    login_failures_per_username: int = Field(default=5, ge=0)
    login_failures_per_address: int = Field(default=20, ge=0)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Password policy (accounts/passwords.py): at least this many characters, two kinds of
    # character, not a common password, not the username.
    password_min_length: int = Field(default=10, ge=10, le=128)
    # The worker signs a head of the audit chain this often when new entries were added.
    audit_head_interval_minutes: int = Field(default=60, ge=1)
    # How long browsers may cache the public static assets (/static); every other response is
    # sent with Cache-Control: no-store (http/security.py).
    static_max_age_seconds: int = Field(default=3600, ge=0)
    # Credit platforms the repair results are delivered to (xinyong.sync); the shipped file
    # drops JSON files under <data_dir>/sync/<platform>/ so the demo needs no network.
    sync_platforms_path: Path = Field(default_factory=default_sync_platforms_path)
    sync_timeout_seconds: float = 10.0
    # A delivery is shown as failing after this many attempts; it keeps being retried.
    sync_failing_after: int = 5
    # A claim left in "sending" this long (worker killed) is claimed again.
    sync_lease_seconds: int = 300
    # The province whose regulation the platform's objection limits and their references follow
    # (objections/definitions/jurisdictions.yaml): zhejiang (default) or shanghai.
    jurisdiction: str = Field(default="zhejiang", pattern=r"^[a-z][a-z_]*$", max_length=32)
    # Objection limits in working days, overriding the jurisdiction's (None: the regulation's):
    # flag, decision by the providing department after receipt.
    objection_flag_workdays: int | None = Field(default=None, ge=0, le=30)
    objection_decision_workdays: int | None = Field(default=None, ge=1, le=60)
    # A third party's objection waits this many working days at most for the providing
    # department to accept it as substantiated (then flagged 异议处理中) or dismiss it with
    # reasons; 本平台默认值（可由信用办调整）, as long as a transfer to the provider.
    objection_acceptance_workdays: int = Field(default=2, ge=1, le=30)
    # Evidence of one objection: bytes per file, files, and bytes in all (413/422 beyond).
    objection_evidence_max_file_bytes: int = Field(default=10 * MIB, ge=1024, le=10 * MIB)
    objection_evidence_max_files: int = Field(default=10, ge=1, le=50)
    objection_evidence_max_total_bytes: int = Field(default=20 * MIB, ge=1024, le=200 * MIB)
    # Proofs of one repair application, first upload and supplements together.
    repair_proof_max_file_bytes: int = Field(default=10 * MIB, ge=1024, le=10 * MIB)
    repair_proof_max_files: int = Field(default=20, ge=1, le=100)
    # 20 MiB is 27 MiB of base64: one upload of the whole allowance fits a 32 MiB request.
    repair_proof_max_total_bytes: int = Field(default=20 * MIB, ge=1024, le=500 * MIB)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"“{item}”不是 IP 地址或网段（如 10.0.0.5 或 10.1.0.0/16）"
                ) from None
        return value

    @model_validator(mode="after")
    def _installation_secret(self) -> Settings:
        # Only when XINYONG_SECRET_KEY is unset: an explicit key always wins.
        if "secret_key" not in self.model_fields_set:
            path = self.data_dir / SECRET_KEY_FILE
            if path.is_file():
                self.secret_key = SecretStr(path.read_text(encoding="utf-8").strip())
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies)

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
        """The shipped (public) secret, or none at all: hashes made with it can be reversed."""
        value = self.secret_key.get_secret_value().strip()
        return value in ("", DEFAULT_SECRET)


def write_installation_secret(data_dir: Path) -> SecretStr:
    """A new random key in ``<data_dir>/secret.key``, readable by its owner only (0600);
    the file is created exclusively, so an existing key is never overwritten."""
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(data_dir / SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return SecretStr(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings read once from the environment."""
    return Settings()
