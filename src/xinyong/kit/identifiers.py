"""Validators for the 统一社会信用代码 (GB 32100) and the resident ID number (GB 11643).

DOMAIN.md decision 2: our own validators; inputs are normalised (upper-case, spaces and hyphens
removed); USCC position 1 may be 1–9, A, N or Y; the GB 11714 check of position 17 is an
optional strict mode; ID numbers need the MOD 11-2 check and a real birth date, the area code is
not looked up, and 15-digit legacy numbers are refused with a request for the 18-digit form.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from operator import mul

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_SHAPE = re.compile(r"^[1-9ANY][0-9][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"
_RIC_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_STRIP = re.compile(r"[\s\-\u3000]+")

# Registration authority (position 1) → kind of subject it registers (GB 32100 table).
AUTHORITY_KIND = {
    "1": "government_or_institution",
    "5": "social_org",
    "9": "enterprise",
}


class IdentifierError(ValueError):
    """Why a code was refused: a stable ``code`` and a Chinese ``message``.

    A plain exception class, not a frozen dataclass: ``contextlib.contextmanager`` (e.g. a unit
    of work) assigns ``__traceback__`` on exceptions passing through it, and pickling sets
    attributes; both fail on a frozen instance.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def normalise(raw: str) -> str:
    """Upper-case and drop spaces (incl. full-width) and hyphens."""
    return _STRIP.sub("", raw).upper()


def uscc_check_char(first17: str) -> str:
    """The mod-31 check character for the first 17 symbols of a USCC."""
    if len(first17) != 17:
        raise ValueError("need the first 17 symbols")
    total = sum(map(mul, map(_USCC_VALUES.__getitem__, first17), USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-symbol organisation-code body."""
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w
        for ch, w in zip(body8, ORG_CODE_WEIGHTS, strict=True)
    )
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def validate_uscc(raw: str, *, strict_org_code: bool = False) -> str:
    """Return the normalised USCC or raise :class:`IdentifierError`."""
    code = normalise(raw)
    if len(code) != 18:
        raise IdentifierError("uscc.length", f"统一社会信用代码应为18位，实际为{len(code)}位")
    if not _USCC_SHAPE.match(code):
        raise IdentifierError(
            "uscc.format",
            "统一社会信用代码格式不正确（第1位应为1-9、A、N、Y，第3-8位为行政区划码，"
            "不得含有I、O、S、V、Z）",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            "uscc.check_digit", f"统一社会信用代码校验位错误（第18位应为{expected}）"
        )
    if strict_org_code:
        body, check = code[8:16], code[16]
        if not re.fullmatch(r"[0-9A-Z]{8}", body) or org_code_check_char(body) != check:
            raise IdentifierError(
                "uscc.org_code_check", "统一社会信用代码中的组织机构代码校验位错误（第17位）"
            )
    return code


def is_valid_uscc(raw: str, *, strict_org_code: bool = False) -> bool:
    try:
        validate_uscc(raw, strict_org_code=strict_org_code)
    except IdentifierError:
        return False
    return True


def validate_resident_id(raw: str) -> str:
    """Return the normalised 18-digit resident ID number or raise :class:`IdentifierError`.

    Error messages never repeat the number itself.
    """
    number = normalise(raw)
    if len(number) == 15 and number.isdigit():
        raise IdentifierError(
            "resident_id.legacy_15", "不再接受15位旧身份证号码，请提供18位居民身份证号码"
        )
    if len(number) != 18 or not _RIC_SHAPE.match(number):
        raise IdentifierError(
            "resident_id.format", "居民身份证号码应为18位，前17位为数字，末位为数字或X"
        )
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            "resident_id.birth_date", "居民身份证号码中的出生日期不存在"
        ) from None
    total = sum(int(d) * w for d, w in zip(number[:17], RIC_WEIGHTS, strict=True))
    if RIC_CHECK[total % 11] != number[17]:
        raise IdentifierError("resident_id.check_digit", "居民身份证号码校验位错误")
    return number


def is_valid_resident_id(raw: str) -> bool:
    try:
        validate_resident_id(raw)
    except IdentifierError:
        return False
    return True


def names_a_person(code: str) -> bool:
    """Whether a subject code is read as a person's ID number: a USCC is tried first (as
    ``subjects.parse_code`` does); an invalid code is neither."""
    compact = normalise(code)
    return not is_valid_uscc(compact) and is_valid_resident_id(compact)


def hash_resident_id(number: str, secret: bytes) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a normalised ID number: its only stored form."""
    return hmac.new(secret, number.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_resident_id(number: str) -> str:
    """``330106********1234``: area code and last four kept."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_person_name(name: str) -> str:
    """``张*``, ``欧阳**``: the surname (first character; two for common compound ones) kept."""
    name = name.strip()
    if len(name) <= 1:
        return name
    keep = 2 if len(name) >= 4 or name[:2] in COMPOUND_SURNAMES else 1
    keep = min(keep, len(name) - 1)  # 欧阳 may be 欧 + 阳: always mask something
    return name[:keep] + "*" * (len(name) - keep)


def mask_names(text: str, names: Iterable[str]) -> str:
    """``text`` with every occurrence of each of ``names`` replaced by its masked form
    (``高佳娜无照经营案`` → ``高**无照经营案``); longer names first, so that a name containing
    another is masked whole. One-character names are left: they would mask ordinary words."""
    wanted = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    for name in wanted:
        if name in text:
            text = text.replace(name, mask_person_name(name))
    return text


COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
    ]
)


# Separators that people and departments' systems put inside an ID number: ASCII and
# full-width spaces, no-break spaces, tabs and every kind of hyphen or dash.
_ID_SEPARATOR = "[ \\t\u00a0\u3000\\-\u2010-\u2015\u2212\ufe63\uff0d]"
# An ID number as it appears in free text: 18 (or legacy 15) digits, full-width digits
# included (``\d`` is Unicode-aware), at most one separator between two digits, a trailing
# X in either case or width. Letters may touch it (``ID330106…``, ``…1234号``); digits may
# not, not even across one separator, so longer numbers (bank accounts, phone lists) are
# left alone.
_ID_IN_TEXT = re.compile(
    rf"(?<!\d)(?<!\d{_ID_SEPARATOR})"
    rf"(?:\d(?:{_ID_SEPARATOR}?\d){{16}}{_ID_SEPARATOR}?[\dXxＸｘ]|\d(?:{_ID_SEPARATOR}?\d){{14}})"
    rf"(?!{_ID_SEPARATOR}?\d)"
)
_ID_SEPARATORS = re.compile(_ID_SEPARATOR)


def _compact_id(found: str) -> str:
    return _ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", found)).upper()


def _masked_id(match: re.Match[str]) -> str:
    number = _compact_id(match.group(0))
    if len(number) == 15:
        return number[:6] + "*" * 5 + number[-4:]
    if number.isdigit() and is_valid_uscc(number) and not is_valid_resident_id(number):
        # An all-digit USCC (机关、事业单位 codes such as 11330100…) is an organisation's public
        # code, not a person's number: it stays as it was written.
        return match.group(0)
    return mask_resident_id(number)


def mask_text_ids(text: str) -> str:
    """Mask every recognisable resident ID number in free text (``330106********1234``):
    18 or 15 digits, with spaces, hyphens or full-width spaces inside, full-width digits, a
    lower-case x, letters glued on either side. An all-digit USCC that is not also a valid ID
    number is left as it is."""
    return _ID_IN_TEXT.sub(_masked_id, text)
