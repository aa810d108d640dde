"""The password policy: what a new password must be, as a pure guard.

A password has at least ``Settings.password_min_length`` characters (10 by default), at least
two kinds of character (lower-case letters, upper-case letters, digits, anything else —
Chinese characters and punctuation count as "anything else"), is not one of the common
passwords shipped in ``definitions/common-passwords.txt`` (also not one followed by digits or
symbols, such as ``Password2025!``), and does not contain the username. Basis: GB/T
22239-2019《信息安全技术 网络安全等级保护基本要求》, 安全计算环境 · 身份鉴别 (identification
information must be complex; failed logins must be handled and limited), and NIST SP 800-63B
(2017) §5.1.1.2 (check new passwords against a list of commonly used values).
"""

from __future__ import annotations

import re
import secrets
import string
from functools import cache
from pathlib import Path
from typing import Final

from xinyong.accounts.errors import WeakPassword

COMMON_PASSWORDS_PATH: Final = Path(__file__).parent / "definitions" / "common-passwords.txt"
DEFAULT_MIN_LENGTH: Final = 10
# A username this short is a common syllable, not something a password should avoid.
MIN_USERNAME_CHECKED: Final = 3
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def character_kinds(password: str) -> int:
    """How many of the four kinds of character ``password`` uses."""
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isalpha() and c.isascii()) and not c.isdigit() for c in password),
    ]
    return sum(kinds)


def is_common(password: str) -> bool:
    lowered = password.lower()
    stem = _TRAILING_DIGITS_AND_SYMBOLS.sub("", lowered)
    return lowered in common_passwords() or (len(stem) >= 4 and stem in common_passwords())


def password_problem(password: str, *, username: str, min_length: int) -> str | None:
    """Why ``password`` is refused for ``username`` (a Chinese sentence), or None if allowed."""
    if len(password) < min_length:
        return f"密码长度不得少于{min_length}个字符"
    if len(username) >= MIN_USERNAME_CHECKED and username.lower() in password.lower():
        return "密码不能包含用户名"
    if is_common(password):
        return "密码过于常见，容易被猜中，请换一个"
    if character_kinds(password) < 2:
        return "密码须至少包含两类字符（小写字母、大写字母、数字、其他符号）"
    return None


def check_password(
    password: str, *, username: str, min_length: int = DEFAULT_MIN_LENGTH, field: str = "password"
) -> None:
    """422 ``accounts.weak_password`` on ``field`` with the reason, unless allowed."""
    problem = password_problem(password, username=username, min_length=min_length)
    if problem is not None:
        raise WeakPassword(problem, field)


def generate_password(length: int = 16) -> str:
    """A random password that meets the policy (for printed demo and reset passwords)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(candidate, username="", min_length=DEFAULT_MIN_LENGTH) is None:
            return candidate
