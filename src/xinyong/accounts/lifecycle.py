"""What happens to a signed-in account: logout, revoking one's tokens, changing a password, and
a credit-office admin deactivating, reactivating or resetting an account. Each is audited in the
caller's transaction; the API and the ``xinyong users`` commands call these same functions.

* Logout revokes the token presented; "revoke all" revokes every live token of the caller.
* Changing a password needs the current one (a wrong one is counted like a failed login, so a
  stolen token cannot be used to guess it), must meet the policy, and revokes every other token
  of the account: whoever else was signed in is signed out.
* Deactivation stops the account at once: its tokens are revoked and the API keys it owns stop
  resolving while it stays deactivated. Reactivation lets the person log in again (old tokens
  stay revoked; owned keys work again) and clears the username's failed-login count.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.accounts.errors import (
    AdminRequired,
    CannotDeactivateSelf,
    LoginLocked,
    PasswordUnchanged,
    UserRequired,
    WrongPassword,
)
from xinyong.accounts.login import Attempt, LoginPolicy, check_not_locked, clear_username
from xinyong.accounts.login import record_failure as count_failure
from xinyong.accounts.models import ApiKey, User
from xinyong.accounts.passwords import DEFAULT_MIN_LENGTH, check_password
from xinyong.accounts.principal import Principal
from xinyong.accounts.service import (
    get_user,
    hash_password,
    revoke_token,
    revoke_user_tokens,
    verify_password,
)
from xinyong.audit import service as audit
from xinyong.errors import Unauthorized


def _audit(
    session: Session, actor: Principal, action: str, user: User, now: datetime, **detail: Any
) -> None:
    audit.record(
        session,
        actor=actor.actor,
        actor_role=actor.role_name,
        action=action,
        object_type="user",
        object_id=user.id,
        detail={"username": user.username, **detail},
        now=now,
    )


def _signed_in_user(session: Session, principal: Principal) -> User:
    """The account behind a bearer token; 401 for nobody, 403 for an API key."""
    if principal.is_anonymous:
        raise Unauthorized()
    if principal.kind != "user" or principal.id is None:
        raise UserRequired()
    return session.get_one(User, principal.id)


def log_out(session: Session, *, principal: Principal, token: str, now: datetime) -> None:
    """Revoke the presented bearer ``token``."""
    user = _signed_in_user(session, principal)
    revoke_token(session, token=token, now=now)
    _audit(session, principal, "auth.logout", user, now)


def revoke_own_tokens(session: Session, *, principal: Principal, now: datetime) -> int:
    """Revoke every live token of the caller, the presented one included; how many."""
    user = _signed_in_user(session, principal)
    revoked = revoke_user_tokens(session, user_id=user.id, now=now)
    _audit(session, principal, "auth.tokens_revoke", user, now, revoked_tokens=revoked)
    return revoked


def revoke_tokens_of(session: Session, *, username: str, actor: Principal, now: datetime) -> int:
    """An admin signs a person out everywhere (a lost phone); how many tokens."""
    actor.require_admin(AdminRequired())
    user = get_user(session, username)
    revoked = revoke_user_tokens(session, user_id=user.id, now=now)
    _audit(session, actor, "auth.tokens_revoke", user, now, revoked_tokens=revoked)
    return revoked


def change_password(
    session: Session,
    *,
    principal: Principal,
    old_password: str,
    new_password: str,
    current_token: str | None,
    address: str | None,
    policy: LoginPolicy,
    secret: bytes,
    min_length: int = DEFAULT_MIN_LENGTH,
    now: datetime,
) -> int:
    """Set a new password after checking the current one; revokes the other tokens of the
    account (not ``current_token``) and returns how many."""
    user = _signed_in_user(session, principal)
    attempt = Attempt(user.username, address)
    check_not_locked(session, attempt, secret=secret, now=now)
    if not verify_password(user.password_hash, old_password):
        locked = count_failure(session, attempt, policy=policy, secret=secret, now=now)
        if locked is not None:
            raise LoginLocked(locked - now)
        raise WrongPassword()
    if new_password == old_password:
        raise PasswordUnchanged()
    check_password(
        new_password, username=user.username, min_length=min_length, field="new_password"
    )
    user.password_hash = hash_password(new_password)
    revoked = revoke_user_tokens(session, user_id=user.id, now=now, keep=current_token)
    _audit(session, principal, "user.password_change", user, now, revoked_tokens=revoked)
    return revoked


def reset_password(
    session: Session,
    *,
    username: str,
    actor: Principal,
    new_password: str,
    min_length: int = DEFAULT_MIN_LENGTH,
    now: datetime,
) -> int:
    """An admin sets a new password (the person forgot theirs); every token is revoked."""
    actor.require_admin(AdminRequired())
    user = get_user(session, username)
    check_password(new_password, username=user.username, min_length=min_length)
    user.password_hash = hash_password(new_password)
    revoked = revoke_user_tokens(session, user_id=user.id, now=now)
    _audit(session, actor, "user.password_reset", user, now, revoked_tokens=revoked)
    return revoked


def deactivate(
    session: Session, *, username: str, actor: Principal, reason: str | None, now: datetime
) -> User:
    """Stop the account at once (tokens revoked, owned keys stop); already inactive: as is."""
    actor.require_admin(AdminRequired())
    user = get_user(session, username)
    if actor.kind == "user" and actor.id == user.id:
        raise CannotDeactivateSelf()
    if not user.active:
        return user
    user.active = False
    revoked = revoke_user_tokens(session, user_id=user.id, now=now)
    keys = session.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.owner_user_id == user.id, ApiKey.revoked_at.is_(None))
    )
    _audit(
        session,
        actor,
        "user.deactivate",
        user,
        now,
        reason=reason,
        revoked_tokens=revoked,
        stopped_api_keys=keys or 0,
    )
    session.flush()
    return user


def reactivate(
    session: Session, *, username: str, actor: Principal, secret: bytes, now: datetime
) -> User:
    """Let the account log in again; already active: as is."""
    actor.require_admin(AdminRequired())
    user = get_user(session, username)
    if user.active:
        return user
    user.active = True
    clear_username(session, user.username, secret=secret)
    _audit(session, actor, "user.reactivate", user, now)
    session.flush()
    return user
