"""The password policy: long enough, two kinds of character, not common, not the username."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from factories.accounts import make_user
from xinyong.accounts.errors import WeakPassword
from xinyong.accounts.passwords import (
    common_passwords,
    generate_password,
    password_problem,
)
from xinyong.config import Settings


def _problem(password: str, username: str = "wangfang") -> str | None:
    return password_problem(password, username=username, min_length=10)


def test_12345678_is_refused_with_a_field_error(session):
    with pytest.raises(WeakPassword) as exc:
        make_user(session, username="zhangsan", password="12345678")
    err = exc.value
    assert (err.status, err.code) == (422, "accounts.weak_password")
    assert [(e.field, e.code) for e in err.errors] == [("password", "accounts.weak_password")]
    assert err.title == "密码长度不得少于10个字符"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!", "密码长度不得少于10个字符"),
        ("1234567890", "密码过于常见，容易被猜中，请换一个"),
        ("Password2025!", "密码过于常见，容易被猜中，请换一个"),
        ("QWERTYUIOP1", "密码过于常见，容易被猜中，请换一个"),
        ("abcdefghijkl", "密码须至少包含两类字符（小写字母、大写字母、数字、其他符号）"),
        ("9081726354", "密码须至少包含两类字符（小写字母、大写字母、数字、其他符号）"),
        ("WangFang2025x", "密码不能包含用户名"),
    ],
)
def test_refused_passwords_say_why(password, reason):
    assert _problem(password) == reason


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "Tq8vLm2pXw", "信用查询平台2025年", "river Lantern 7"],
)
def test_reasonable_passwords_are_allowed(password):
    assert _problem(password) is None


def test_common_list_ships_with_the_package_and_includes_the_classics():
    shipped = common_passwords()
    assert {"12345678", "password", "woaini1314", "1qaz2wsx"} <= shipped
    assert all(p == p.lower() for p in shipped)


def test_generated_passwords_meet_the_policy_and_differ():
    made = {generate_password() for _ in range(50)}
    assert len(made) == 50
    assert all(_problem(p, username="admin") is None for p in made)


def test_minimum_length_cannot_be_configured_below_ten():
    assert Settings(password_min_length=12).password_min_length == 12
    with pytest.raises(ValidationError):
        Settings(password_min_length=8)


def test_configured_minimum_length_is_applied(session):
    with pytest.raises(WeakPassword) as exc:
        make_user(session, password="correct-horse", min_password_length=14)
    assert exc.value.title == "密码长度不得少于14个字符"
