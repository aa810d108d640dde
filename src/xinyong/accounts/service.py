"""Use cases of accounts: departments, users, passwords, bearer tokens and API keys.

Passwords are stored as argon2id hashes; bearer tokens and API keys are random strings of which
only a hash is stored (SHA-256 for tokens, HMAC-SHA256 with the configured secret for API keys),
so a copy of the database yields no usable credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.accounts.errors import (
    DepartmentRequired,
    DuplicateDepartment,
    DuplicateUsername,
    FieldInvalid,
    InvalidApiKey,
    InvalidCredentials,
    InvalidToken,
    SubjectRequired,
    TokenExpired,
    UnknownApiKey,
    UnknownDepartment,
    UnknownRole,
    UnknownSector,
    UnknownUser,
)
from xinyong.accounts.models import ApiKey, AuthToken, Department, Role, User
from xinyong.accounts.passwords import DEFAULT_MIN_LENGTH, check_password
from xinyong.accounts.principal import ANONYMOUS, Principal
from xinyong.catalog.sectors import SECTORS
from xinyong.db import updated_rows
from xinyong.errors import Unauthorized, XinyongError

DEPARTMENT_ROLES: Final = frozenset({Role.DEPARTMENT, Role.REVIEWER})
SUBJECT_ROLES: Final = frozenset({Role.ENTERPRISE})
API_KEY_PREFIX: Final = "xy_"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures take the same time.
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_api_key(key: str, secret: str | bytes) -> str:
    key_bytes = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key_bytes, key.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_role(role: Role | str, *, field_name: str = "role") -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UnknownRole(str(role), field_name) from None


def get_department(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


# Accounts that work a department's review queues (repair tasks, objections).
REVIEW_ROLES: Final = frozenset({Role.DEPARTMENT, Role.REVIEWER})


def reviewing_department(
    session: Session, principal: Principal, *, denied: XinyongError
) -> Department | None:
    """The department whose queues ``principal`` works; None for a credit-office admin, who
    sees and decides every queue. 401 for nobody; ``denied`` (the domain's own 403) for anyone
    else who is not a department or reviewer account of a registered department."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.is_admin:
        return None
    if principal.role not in REVIEW_ROLES or not principal.department_code:
        raise denied
    department = get_department(session, principal.department_code)
    if department is None:
        raise denied
    return department


def _department_for(
    session: Session, *, role: Role, department_code: str | None, subject_id: int | None
) -> Department | None:
    """The department a credential of ``role`` belongs to, after the per-role rules.

    department and reviewer accounts act for a department; enterprise accounts act for their
    own subject only.
    """
    if role in DEPARTMENT_ROLES and not department_code:
        raise DepartmentRequired(role.value)
    if role in SUBJECT_ROLES and subject_id is None:
        raise SubjectRequired(role.value)
    if not department_code:
        return None
    department = get_department(session, department_code)
    if department is None:
        raise UnknownDepartment(department_code)
    return department


def create_department(
    session: Session,
    *,
    code: str,
    name: str,
    uscc: str | None = None,
    sector: str | None = None,
    now: datetime,
) -> Department:
    """Register a department; ``code`` (e.g. 330100-SCJG) is unique, ``sector`` from SECTORS."""
    if sector is not None and sector not in SECTORS:
        raise UnknownSector(sector)
    if get_department(session, code) is not None:
        raise DuplicateDepartment(code)
    department = Department(code=code, name=name, uscc=uscc, sector=sector, created_at=now)
    session.add(department)
    session.flush()
    return department


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    display_name: str | None = None,
    department_code: str | None = None,
    subject_id: int | None = None,
    min_password_length: int = DEFAULT_MIN_LENGTH,
    now: datetime,
) -> User:
    """Create an active account. Usernames are unique; the password meets the policy
    (``accounts.passwords``: ``min_password_length`` is ``Settings.password_min_length``)."""
    role = parse_role(role)
    department = _department_for(
        session, role=role, department_code=department_code, subject_id=subject_id
    )
    check_password(password, username=username, min_length=min_password_length)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateUsername(username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        department=department,
        subject_id=subject_id,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, username: str) -> User:
    """The account named ``username``, or 404 ``accounts.unknown_user``."""
    user = find_user(session, username)
    if user is None:
        raise UnknownUser(username)
    return user


def authenticate(session: Session, *, username: str, password: str, now: datetime) -> User:
    """The active user with this username and password, or 401 ``auth.invalid_credentials``.

    Unknown users are checked against a dummy hash so the response time does not reveal which
    usernames exist. An outdated hash is upgraded in place.
    """
    user = find_user(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password) or not user.active:
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def issue_token(
    session: Session, *, user: User, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    """A new bearer token for ``user`` valid for ``ttl``; returned once, stored as its hash."""
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        AuthToken(token_hash=hash_token(token), user=user, issued_at=now, expires_at=expires_at)
    )
    session.flush()
    return token, expires_at


def revoke_token(session: Session, *, token: str, now: datetime) -> AuthToken | None:
    """Log out: the token stops resolving. Unknown tokens are ignored."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def revoke_user_tokens(
    session: Session, *, user_id: int, now: datetime, keep: str | None = None
) -> int:
    """Revoke every live token of the user except the token ``keep`` (the caller's own, when
    changing a password); returns how many stopped working."""
    stmt = (
        update(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    if keep is not None:
        stmt = stmt.where(AuthToken.token_hash != hash_token(keep))
    return updated_rows(session.execute(stmt))


def create_api_key(
    session: Session,
    *,
    name: str,
    role: Role | str,
    department_code: str | None = None,
    subject_id: int | None = None,
    rate_limit_per_minute: int | None = None,
    owner_user_id: int | None = None,
    secret: str | bytes,
    now: datetime,
) -> tuple[str, ApiKey]:
    """A new API key ``xy_…``: the plain key is returned once, only its keyed hash is stored.

    ``rate_limit_per_minute`` is the key's own request limit: None uses the deployment default
    (``Settings.rate_limit_per_minute``), 0 means unlimited (trusted internal systems).
    ``owner_user_id`` is the person answerable for the key: while that account is
    deactivated the key does not work.
    """
    role = parse_role(role)
    if rate_limit_per_minute is not None and rate_limit_per_minute < 0:
        raise FieldInvalid(
            "accounts.invalid_rate_limit",
            "rate_limit_per_minute",
            "每分钟请求上限不能为负数（不填用默认值，0 表示不限）",
        )
    department = _department_for(
        session, role=role, department_code=department_code, subject_id=subject_id
    )
    plain = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=plain[:8],
        key_hash=hash_api_key(plain, secret),
        role=role,
        department=department,
        subject_id=subject_id,
        rate_limit_per_minute=rate_limit_per_minute,
        owner_user_id=owner_user_id,
        created_at=now,
    )
    session.add(key)
    session.flush()
    return plain, key


def revoke_api_key(session: Session, *, key_id: int, now: datetime) -> ApiKey:
    """Revoke a key; revoking twice keeps the first revocation time."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise UnknownApiKey(key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        session.flush()
    return key


def user_principal(user: User) -> Principal:
    """The principal a user acts as once authenticated (by a token, or a trusted setup step)."""
    return Principal(
        kind="user",
        id=user.id,
        role=user.role,
        department_code=user.department.code if user.department else None,
        subject_id=user.subject_id,
        name=user.display_name,
    )


def _key_principal(key: ApiKey) -> Principal:
    return Principal(
        kind="key",
        id=key.id,
        role=key.role,
        department_code=key.department.code if key.department else None,
        subject_id=key.subject_id,
        name=key.name,
        rate_limit_per_minute=key.rate_limit_per_minute,
    )


def resolve_principal(
    session: Session,
    *,
    bearer: str | None,
    api_key: str | None,
    secret: str | bytes,
    now: datetime,
) -> Principal:
    """Who presents these credentials. None at all is ANONYMOUS; a bad one is always 401.

    A bearer token wins over an API key when both are sent. Tokens of deactivated users, and
    keys whose owner is deactivated, stop resolving at once.
    """
    if bearer:
        token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(bearer)))
        if token is None or token.revoked_at is not None or not token.user.active:
            raise InvalidToken()
        if token.expires_at <= now:
            raise TokenExpired()
        return user_principal(token.user)
    if api_key:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(api_key, secret)))
        if key is None or key.revoked_at is not None:
            raise InvalidApiKey()
        if key.owner is not None and not key.owner.active:
            raise InvalidApiKey()
        return _key_principal(key)
    return ANONYMOUS
