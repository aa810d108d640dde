"""Tables of departments, users, API keys, bearer tokens and login throttles.

``subject_id`` is a plain integer without a foreign key: subjects belong to a higher layer, and
relationships point backwards only (STYLE.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xinyong.db import Base, UTCDateTime


class Role(StrEnum):
    """What an account may do. ``system`` is for machine-to-machine keys (ingest feeds, sync)."""

    ADMIN = "admin"
    DEPARTMENT = "department"
    REVIEWER = "reviewer"
    ENTERPRISE = "enterprise"
    BANK = "bank"
    SYSTEM = "system"


# Stored as VARCHAR(16) holding the enum value; the migration declares the same type.
ROLE_TYPE = Enum(
    Role,
    name="role",
    native_enum=False,
    length=16,
    values_callable=lambda enum: [member.value for member in enum],
)


class Department(Base):
    """A 部门: a government department that supplies records or reviews applications."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    uscc: Mapped[str | None] = mapped_column(String(18))
    sector: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(ROLE_TYPE)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    department: Mapped[Department | None] = relationship(lazy="joined")


class ApiKey(Base):
    """A machine credential. Only the keyed hash of the key is stored; ``prefix`` is for humans."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(ROLE_TYPE)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Requests per minute this key may make; None means the deployment default.
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person answerable for the key: while their account is deactivated it stops working.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    department: Mapped[Department | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(lazy="joined")


class AuthToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed logins counted for one username or one client address (``scope``), in a window
    that starts at the first failure; ``locked_until`` is set when the count reaches the
    limit. ``key_hash`` is an HMAC of the username or address: a password typed into the
    username field is not kept in clear."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("scope", "key_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
