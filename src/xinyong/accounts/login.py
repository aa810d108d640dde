"""Logging in with a password, throttled: failed logins are counted per username and per client
address, and too many within a window lock further attempts for a while.

Rules (``LoginPolicy``, from ``Settings``; basis GB/T 22239-2019, 安全计算环境 · 身份鉴别:
"应具有登录失败处理功能 … 限制非法登录次数"):

* each failure counts once for the username given (whether it exists or not) and once for
  the client address, in a window that starts at the first failure of the count;
* reaching ``per_username`` (or ``per_address``) failures within ``window`` locks that
  username (or address) for ``lockout``: every attempt, right or wrong, gets 429
  ``auth.login_locked`` with ``Retry-After``; the counting starts afresh after the lockout;
* a successful login clears the username's count (not the address's: an attacker's own
  account must not reset the count of an address guessing other people's passwords);
* unknown usernames are counted, locked and answered exactly like known ones, and a wrong
  password for a deactivated account like any wrong password, so the answers never tell
  which usernames exist;
* failures and lockouts are audited; attempts refused during a lockout are not (they are
  bounded by nothing but the attacker, and change nothing).

Counts live in the database (``login_throttles``), shared by every worker process and kept
across restarts. A count's row is locked while it is updated, so concurrent guesses are each
counted.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.accounts.errors import LoginFailed, LoginLocked
from xinyong.accounts.models import LoginThrottle, User
from xinyong.accounts.service import authenticate, find_user
from xinyong.audit import service as audit
from xinyong.config import Settings
from xinyong.db import take_write_lock
from xinyong.errors import XinyongError

Scope = Literal["username", "address"]
UNKNOWN_ADDRESS: Final = "unknown"


@dataclass(frozen=True)
class LoginPolicy:
    """Failures allowed per username and per address (0 = not limited) within ``window``,
    and how long a lockout lasts."""

    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            per_username=settings.login_failures_per_username,
            per_address=settings.login_failures_per_address,
            window=timedelta(minutes=settings.login_failure_window_minutes),
            lockout=timedelta(minutes=settings.login_lockout_minutes),
        )

    def limit(self, scope: Scope) -> int:
        return self.per_username if scope == "username" else self.per_address


@dataclass(frozen=True)
class Count:
    """A throttle's state: failures in the window that started at ``since``, lock end."""

    failures: int
    since: datetime
    locked_until: datetime | None = None


def after_failure(count: Count, *, limit: int, policy: LoginPolicy, now: datetime) -> Count:
    """The count after one more failure at ``now`` (pure): a window past its end starts
    again; reaching ``limit`` (unless 0) locks until ``now + lockout`` and resets the count."""
    failures, since = count.failures, count.since
    if now - since >= policy.window or (count.locked_until and count.locked_until <= now):
        failures, since = 0, now
    failures += 1
    if limit and failures >= limit:
        return Count(failures=0, since=now, locked_until=now + policy.lockout)
    return Count(failures=failures, since=since)


def _key_hash(scope: Scope, value: str, secret: bytes) -> str:
    return hmac.new(secret, f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()


def _row(session: Session, scope: Scope, key_hash: str, now: datetime) -> LoginThrottle:
    """The throttle row, locked for update; created on first use."""
    stmt = (
        select(LoginThrottle)
        .where(LoginThrottle.scope == scope, LoginThrottle.key_hash == key_hash)
        .with_for_update()
    )
    row = session.scalar(stmt)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(scope=scope, key_hash=key_hash, failures=0, window_started_at=now)
            session.add(row)
    except IntegrityError:  # another login created it first
        row = session.scalars(stmt).one()
    return row


def _locked_until(session: Session, keys: dict[Scope, str], *, now: datetime) -> datetime | None:
    """The latest lockout end among the attempt's throttles that is still ahead."""
    mine = or_(
        *(
            and_(LoginThrottle.scope == scope, LoginThrottle.key_hash == key_hash)
            for scope, key_hash in keys.items()
        )
    )
    return session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(mine, LoginThrottle.locked_until > now)
    )


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the username typed and the client address."""

    username: str
    address: str | None

    def keys(self, secret: bytes) -> dict[Scope, str]:
        return {
            "username": _key_hash("username", self.username, secret),
            "address": _key_hash("address", self.address or UNKNOWN_ADDRESS, secret),
        }


def _audit(
    session: Session, action: str, attempt: Attempt, user: User | None, now: datetime, **extra
) -> None:
    # A username that matches no account is not logged: it may be a password typed into the
    # wrong field.
    audit.record(
        session,
        actor="anonymous",
        actor_role=None,
        action=action,
        object_type="user",
        object_id=user.id if user else None,
        detail={
            "username": user.username if user else None,
            "known_username": user is not None,
            "address": attempt.address,
            **extra,
        },
        now=now,
    )


def _forget_stale(session: Session, *, policy: LoginPolicy, now: datetime) -> None:
    # Counts whose window has passed and that lock nothing are the same as no count: dropping
    # them keeps the table as small as the failures of the last window, even when an attacker
    # tries a new made-up username each time.
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at <= now - policy.window,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )


def record_failure(
    session: Session, attempt: Attempt, *, policy: LoginPolicy, secret: bytes, now: datetime
) -> datetime | None:
    """Count one failed password check of ``attempt`` (audited); returns the end of a lockout
    it started, if any (also audited)."""
    take_write_lock(session, LoginThrottle.__table__)
    _forget_stale(session, policy=policy, now=now)
    user = find_user(session, attempt.username)
    _audit(session, "auth.login_failed", attempt, user, now)
    locked: datetime | None = None
    for scope, key_hash in attempt.keys(secret).items():
        row = _row(session, scope, key_hash, now)
        count = Count(row.failures, row.window_started_at, row.locked_until)
        new = after_failure(count, limit=policy.limit(scope), policy=policy, now=now)
        row.failures, row.window_started_at, row.locked_until = (
            new.failures,
            new.since,
            new.locked_until,
        )
        if new.locked_until is not None:
            locked = max(locked or new.locked_until, new.locked_until)
            _audit(
                session,
                "auth.login_locked",
                attempt,
                user,
                now,
                scope=scope,
                until=new.locked_until,
            )
    session.flush()
    return locked


def check_not_locked(session: Session, attempt: Attempt, *, secret: bytes, now: datetime) -> None:
    """429 ``auth.login_locked`` while the username or the address is locked."""
    until = _locked_until(session, attempt.keys(secret), now=now)
    if until is not None:
        raise LoginLocked(until - now)


def log_in(
    session: Session,
    attempt: Attempt,
    *,
    password: str,
    policy: LoginPolicy,
    secret: bytes,
    now: datetime,
) -> User:
    """The user, if not locked and the password is right; else a failure that is counted
    (401 ``auth.invalid_credentials``, or 429 ``auth.login_locked`` when it starts a lockout).
    Both keep their changes: the request commits the count and the audit rows."""
    check_not_locked(session, attempt, secret=secret, now=now)
    try:
        user = authenticate(session, username=attempt.username, password=password, now=now)
    except XinyongError:
        locked = record_failure(session, attempt, policy=policy, secret=secret, now=now)
        if locked is not None:
            raise LoginLocked(locked - now) from None
        raise LoginFailed() from None
    clear_username(session, attempt.username, secret=secret)
    return user


def clear_username(session: Session, username: str, *, secret: bytes) -> None:
    """Forget the failures counted for ``username`` (a successful login, a reactivation)."""
    row = session.scalar(
        select(LoginThrottle).where(
            LoginThrottle.scope == "username",
            LoginThrottle.key_hash == _key_hash("username", username, secret),
        )
    )
    if row is not None:
        session.delete(row)
        session.flush()
