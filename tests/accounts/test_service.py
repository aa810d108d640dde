from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from factories.accounts import NOW, PASSWORD, SECRET, make_api_key, make_department, make_user
from xinyong.accounts import service
from xinyong.accounts.errors import (
    DepartmentRequired,
    DuplicateUsername,
    InvalidApiKey,
    InvalidCredentials,
    InvalidToken,
    SubjectRequired,
    TokenExpired,
    UnknownApiKey,
    UnknownDepartment,
    UnknownRole,
    UnknownSector,
    WeakPassword,
)
from xinyong.accounts.models import Role
from xinyong.accounts.principal import ANONYMOUS, Principal

TTL = timedelta(hours=8)


class TestPasswords:
    def test_password_hash_round_trip(self):
        hashed = service.hash_password("一个足够长的密码")
        assert hashed.startswith("$argon2id$")
        assert service.verify_password(hashed, "一个足够长的密码")

    def test_wrong_password_does_not_verify(self):
        assert not service.verify_password(service.hash_password("right-password"), "wrong-pass")

    def test_garbage_hash_does_not_verify(self):
        assert not service.verify_password("not-a-hash", "anything")

    def test_authenticate_returns_user_with_right_password(self, session):
        user = make_user(session, username="zhang")
        assert service.authenticate(session, username="zhang", password=PASSWORD, now=NOW) is user

    def test_authenticate_refuses_wrong_password(self, session):
        make_user(session, username="zhang")
        with pytest.raises(InvalidCredentials) as exc:
            service.authenticate(session, username="zhang", password="wrong-password", now=NOW)
        assert (exc.value.status, exc.value.code) == (401, "auth.invalid_credentials")
        assert exc.value.title == "用户名或密码错误"

    def test_unknown_user_gets_same_error_as_wrong_password(self, session):
        with pytest.raises(InvalidCredentials) as exc:
            service.authenticate(session, username="nobody", password=PASSWORD, now=NOW)
        assert exc.value.problem()["code"] == "auth.invalid_credentials"

    def test_inactive_user_cannot_authenticate(self, session):
        user = make_user(session, username="left")
        user.active = False
        with pytest.raises(InvalidCredentials):
            service.authenticate(session, username="left", password=PASSWORD, now=NOW)

    def test_password_is_stored_only_as_hash(self, session):
        user = make_user(session)
        stored = session.execute(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id}
        ).scalar_one()
        assert PASSWORD not in stored


class TestUserRules:
    def test_department_role_without_department_is_refused(self, session):
        with pytest.raises(DepartmentRequired) as exc:
            make_user(session, role=Role.DEPARTMENT, department_code=None)
        assert exc.value.status == 422
        assert exc.value.errors[0].field == "department_code"

    def test_reviewer_role_without_department_is_refused(self, session):
        with pytest.raises(DepartmentRequired):
            make_user(session, role=Role.REVIEWER, department_code=None)

    def test_enterprise_role_without_subject_is_refused(self, session):
        with pytest.raises(SubjectRequired) as exc:
            service.create_user(
                session, username="ent", password=PASSWORD, role=Role.ENTERPRISE, now=NOW
            )
        assert exc.value.errors[0].field == "subject_id"

    def test_enterprise_user_is_bound_to_subject(self, session):
        user = make_user(session, role=Role.ENTERPRISE, subject_id=42)
        assert user.subject_id == 42
        assert user.department is None

    def test_unknown_department_names_the_field(self, session):
        with pytest.raises(UnknownDepartment) as exc:
            make_user(session, department_code="999999-NONE")
        assert exc.value.code == "accounts.unknown_department"
        assert exc.value.status == 422
        assert exc.value.errors[0].field == "department_code"

    def test_unknown_role_is_refused(self, session):
        with pytest.raises(UnknownRole):
            service.create_user(
                session, username="su", password=PASSWORD, role="superuser", now=NOW
            )

    def test_duplicate_username_is_refused(self, session):
        make_user(session, username="dup")
        with pytest.raises(DuplicateUsername) as exc:
            make_user(session, username="dup")
        assert exc.value.status == 409

    def test_short_password_is_refused(self, session):
        with pytest.raises(WeakPassword):
            make_user(session, password="short")

    def test_unknown_sector_is_refused(self, session):
        with pytest.raises(UnknownSector):
            make_department(session, sector="astrology")

    def test_department_user_carries_department(self, session):
        dept = make_department(session, code="330100-SCJG", name="杭州市市场监督管理局")
        user = make_user(session, department_code="330100-SCJG")
        assert user.department is dept


class TestTokens:
    def test_issued_token_resolves_to_user(self, session):
        user = make_user(session)
        token, expires_at = service.issue_token(session, user=user, now=NOW, ttl=TTL)
        assert expires_at == NOW + TTL
        principal = service.resolve_principal(
            session, bearer=token, api_key=None, secret=SECRET, now=NOW + timedelta(hours=1)
        )
        assert principal == Principal(
            kind="user",
            id=user.id,
            role=Role.DEPARTMENT,
            department_code=user.department.code,
            subject_id=None,
            name=user.display_name,
        )
        assert principal.actor == f"user:{user.id}"
        assert principal.is_internal

    def test_token_is_stored_only_as_hash(self, session):
        user = make_user(session)
        token, _ = service.issue_token(session, user=user, now=NOW, ttl=TTL)
        rows = session.execute(text("SELECT * FROM auth_tokens")).all()
        assert all(token not in str(value) for row in rows for value in row)

    def test_expired_token_is_refused(self, session):
        user = make_user(session)
        token, expires_at = service.issue_token(session, user=user, now=NOW, ttl=TTL)
        with pytest.raises(TokenExpired) as exc:
            service.resolve_principal(
                session, bearer=token, api_key=None, secret=SECRET, now=expires_at
            )
        assert (exc.value.status, exc.value.code) == (401, "auth.token_expired")

    def test_revoked_token_is_refused(self, session):
        user = make_user(session)
        token, _ = service.issue_token(session, user=user, now=NOW, ttl=TTL)
        service.revoke_token(session, token=token, now=NOW)
        with pytest.raises(InvalidToken) as exc:
            service.resolve_principal(session, bearer=token, api_key=None, secret=SECRET, now=NOW)
        assert exc.value.code == "auth.invalid_token"

    def test_unknown_token_is_refused(self, session):
        with pytest.raises(InvalidToken):
            service.resolve_principal(
                session, bearer="made-up", api_key=None, secret=SECRET, now=NOW
            )

    def test_token_of_deactivated_user_is_refused(self, session):
        user = make_user(session)
        token, _ = service.issue_token(session, user=user, now=NOW, ttl=TTL)
        user.active = False
        with pytest.raises(InvalidToken):
            service.resolve_principal(session, bearer=token, api_key=None, secret=SECRET, now=NOW)

    def test_no_credentials_is_anonymous(self, session):
        principal = service.resolve_principal(
            session, bearer=None, api_key=None, secret=SECRET, now=NOW
        )
        assert principal is ANONYMOUS
        assert principal.actor == "anonymous"
        assert not principal.is_internal and not principal.is_admin


class TestApiKeys:
    def test_api_key_only_hash_is_stored(self, session):
        plain, key = make_api_key(session)
        assert plain.startswith("xy_") and key.prefix == plain[:8]
        row = session.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": key.id}).one()
        assert all(plain not in str(value) for value in row)
        assert key.key_hash == service.hash_api_key(plain, SECRET)

    def test_api_key_resolves_to_key_principal(self, session):
        dept = make_department(session)
        plain, key = make_api_key(session, role=Role.DEPARTMENT, department_code=dept.code)
        principal = service.resolve_principal(
            session, bearer=None, api_key=plain, secret=SECRET, now=NOW
        )
        assert (principal.kind, principal.id, principal.role) == ("key", key.id, Role.DEPARTMENT)
        assert principal.department_code == dept.code
        assert principal.actor == f"key:{key.id}"

    def test_api_key_with_other_secret_is_refused(self, session):
        plain, _ = make_api_key(session)
        with pytest.raises(InvalidApiKey):
            service.resolve_principal(
                session, bearer=None, api_key=plain, secret="other-secret", now=NOW
            )

    def test_revoked_api_key_is_refused(self, session):
        plain, key = make_api_key(session)
        service.revoke_api_key(session, key_id=key.id, now=NOW)
        with pytest.raises(InvalidApiKey) as exc:
            service.resolve_principal(session, bearer=None, api_key=plain, secret=SECRET, now=NOW)
        assert (exc.value.status, exc.value.code) == (401, "auth.invalid_api_key")

    def test_revoking_twice_keeps_first_time(self, session):
        _, key = make_api_key(session)
        service.revoke_api_key(session, key_id=key.id, now=NOW)
        service.revoke_api_key(session, key_id=key.id, now=NOW + TTL)
        assert key.revoked_at == NOW

    def test_revoking_unknown_key_is_not_found(self, session):
        with pytest.raises(UnknownApiKey) as exc:
            service.revoke_api_key(session, key_id=999_999, now=NOW)
        assert exc.value.status == 404

    def test_department_key_without_department_is_refused(self, session):
        with pytest.raises(DepartmentRequired):
            make_api_key(session, role=Role.DEPARTMENT)

    def test_enterprise_key_is_bound_to_subject(self, session):
        plain, _ = make_api_key(session, role=Role.ENTERPRISE, subject_id=7)
        principal = service.resolve_principal(
            session, bearer=None, api_key=plain, secret=SECRET, now=NOW
        )
        assert principal.subject_id == 7
        assert not principal.is_internal
