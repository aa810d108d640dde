"""Failed logins are counted per username and per client address; too many lock further
attempts for a while, with the same answers for unknown and known usernames."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from factories.accounts import NOW, PASSWORD, make_user
from xinyong.accounts.errors import InvalidCredentials, LoginLocked
from xinyong.accounts.login import Attempt, Count, LoginPolicy, after_failure, log_in
from xinyong.accounts.models import LoginThrottle
from xinyong.audit.models import AuditEntry
from xinyong.errors import XinyongError

SECRET = b"test-secret"
POLICY = LoginPolicy(
    per_username=3, per_address=5, window=timedelta(minutes=15), lockout=timedelta(minutes=10)
)


def _try(session, username: str, password: str, *, address="10.0.0.1", at=NOW):
    """The answer to one login: ("ok", user id) or (status, code, Retry-After)."""
    try:
        user = log_in(
            session,
            Attempt(username, address),
            password=password,
            policy=POLICY,
            secret=SECRET,
            now=at,
        )
    except XinyongError as exc:
        return (exc.status, exc.code, exc.headers.get("Retry-After"))
    return ("ok", user.id)


# The rule as a pure function -----------------------------------------------------------------


def test_failures_lock_at_the_limit_and_start_afresh():
    count = Count(failures=0, since=NOW)
    count = after_failure(count, limit=2, policy=POLICY, now=NOW)
    assert (count.failures, count.locked_until) == (1, None)
    count = after_failure(count, limit=2, policy=POLICY, now=NOW + timedelta(minutes=1))
    assert count.locked_until == NOW + timedelta(minutes=11)
    assert count.failures == 0


def test_failures_outside_the_window_do_not_add_up():
    count = after_failure(Count(failures=2, since=NOW), limit=3, policy=POLICY, now=NOW)
    assert count.locked_until is not None
    old = Count(failures=2, since=NOW - timedelta(minutes=15))
    assert after_failure(old, limit=3, policy=POLICY, now=NOW) == Count(failures=1, since=NOW)


def test_a_limit_of_zero_never_locks():
    count = Count(failures=0, since=NOW)
    for _ in range(100):
        count = after_failure(count, limit=0, policy=POLICY, now=NOW)
    assert count.locked_until is None


# With the database -----------------------------------------------------------------------------


def test_login_locked_after_repeated_failures(session):
    user = make_user(session, username="wang")
    assert _try(session, "wang", "wrong-1") == (401, "auth.invalid_credentials", None)
    assert _try(session, "wang", "wrong-2") == (401, "auth.invalid_credentials", None)
    # The third failure starts the lockout: 600 s.
    assert _try(session, "wang", "wrong-3") == (429, "auth.login_locked", "600")
    # Even the right password waits, from any address.
    later = NOW + timedelta(minutes=4)
    assert _try(session, "wang", PASSWORD, address="10.9.9.9", at=later) == (
        429,
        "auth.login_locked",
        "360",
    )
    assert _try(session, "wang", PASSWORD, at=NOW + timedelta(minutes=10)) == ("ok", user.id)


def test_unknown_and_known_usernames_get_the_same_answers(session):
    make_user(session, username="li")
    known = [_try(session, "li", f"wrong-{n}", address="10.0.0.2") for n in range(4)]
    unknown = [_try(session, "nobody", f"wrong-{n}", address="10.0.0.3") for n in range(4)]
    assert known == unknown
    assert [a[0] for a in known] == [401, 401, 429, 429]


def test_deactivated_account_answers_like_a_wrong_password(session):
    user = make_user(session, username="zhao")
    user.active = False
    assert _try(session, "zhao", PASSWORD) == (401, "auth.invalid_credentials", None)


def test_an_address_guessing_many_usernames_is_locked(session):
    make_user(session, username="qian")
    answers = [_try(session, f"user-{n}", "guess", address="10.0.0.4") for n in range(5)]
    assert answers[-1][:2] == (429, "auth.login_locked")
    assert _try(session, "qian", PASSWORD, address="10.0.0.4")[:2] == (429, "auth.login_locked")
    assert _try(session, "qian", PASSWORD, address="10.0.0.5")[0] == "ok"


def test_success_clears_the_username_count_but_not_the_address_count(session):
    user = make_user(session, username="sun")
    for _ in range(2):
        _try(session, "sun", "wrong", address="10.0.0.6")
    assert _try(session, "sun", PASSWORD, address="10.0.0.6") == ("ok", user.id)
    # The username starts from zero again: two more failures do not lock it.
    for _ in range(2):
        assert _try(session, "sun", "wrong", address="10.0.0.7")[0] == 401
    # The first address still carries its two failures: the fifth in all locks it.
    answers = [_try(session, f"other-{n}", "x", address="10.0.0.6")[0] for n in range(3)]
    assert answers == [401, 401, 429]


def test_failures_and_lockouts_are_audited_without_unknown_usernames_in_clear(session):
    user = make_user(session, username="zhou")
    for n in range(3):
        _try(session, "zhou", f"wrong-{n}", address="10.0.0.8")
    _try(session, "Zhou-Secret-Pa55", "x", address="10.0.0.9")  # a password in the wrong field
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("auth.login_%")).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_locked",
        "auth.login_failed",
    ]
    locked = entries[3]
    assert locked.object_id == str(user.id)
    assert locked.detail["scope"] == "username" and locked.detail["address"] == "10.0.0.8"
    assert entries[-1].detail["username"] is None and entries[-1].detail["known_username"] is False
    stored = " ".join(str(e.detail) for e in entries) + " ".join(
        session.scalars(select(LoginThrottle.key_hash))
    )
    assert "Zhou-Secret-Pa55" not in stored


def test_wrong_password_is_invalid_credentials_class(session):
    """Callers that catch InvalidCredentials keep working."""
    make_user(session, username="wu")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            log_in(
                session, Attempt("wu", None), password="x", policy=POLICY, secret=SECRET, now=NOW
            )
    with pytest.raises(LoginLocked) as exc:
        log_in(session, Attempt("wu", None), password="x", policy=POLICY, secret=SECRET, now=NOW)
    assert exc.value.retry_after == 600


def test_stale_counts_are_forgotten(session):
    for n in range(4):
        _try(session, f"made-up-{n}", "x", address=f"10.2.0.{n}")
    assert len(session.scalars(select(LoginThrottle)).all()) == 8
    _try(session, "one-more", "x", address="10.2.0.9", at=NOW + timedelta(minutes=15))
    assert len(session.scalars(select(LoginThrottle)).all()) == 2
