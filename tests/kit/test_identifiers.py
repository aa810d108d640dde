"""USCC and resident-ID validators and masking: DOMAIN.md §1, decision 2, §13 facts 1–10."""

from __future__ import annotations

import pickle
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidComponent, InvalidFormat

from xinyong.kit.identifiers import (
    RIC_CHECK,
    RIC_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    IdentifierError,
    is_valid_resident_id,
    is_valid_uscc,
    mask_person_name,
    mask_resident_id,
    mask_text_ids,
    normalise,
    org_code_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)


def _ric_check(body17: str) -> str:
    return RIC_CHECK[sum(int(d) * w for d, w in zip(body17, RIC_WEIGHTS, strict=True)) % 11]


# --- USCC: fixed vectors -------------------------------------------------------------------


def test_uscc_gb32100_worked_example_has_check_char_3():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert not is_valid_uscc("91350100M000100Y4Z")


@pytest.mark.parametrize(
    "code",
    ["91110108551385082Q", "91110000600037341L", "91230500MA1B3N1N2M", "11230500001755309F"],
)
def test_real_uscc_codes_pass_mod31_and_strict_org_code_check(code):
    assert is_valid_uscc(code)
    assert is_valid_uscc(code, strict_org_code=True)
    assert stdnum_uscc.is_valid(code)


def test_published_csdn_example_fails_check_char_which_should_be_7():
    code = "91310115MA1H8R7C6D"
    with pytest.raises(IdentifierError) as exc:
        validate_uscc(code)
    assert exc.value.code == "uscc.check_digit"
    assert uscc_check_char(code[:17]) == "7"
    assert org_code_check_char(code[8:16]) == "4"


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("91330106MA20003340", "0"),
        ("91330106MA20004309", "9"),
        ("91330106MA2000086A", "A"),
        ("91330106MA2000211Y", "Y"),
    ],
)
def test_synthetic_uscc_codes_valid_in_strict_mode(code, check):
    assert uscc_check_char(code[:17]) == check
    assert validate_uscc(code, strict_org_code=True) == code


@pytest.mark.parametrize(
    ("code", "org_check"), [("91330106MA2002000X", "6"), ("91350100M000100Y56", "4")]
)
def test_strict_mode_rejects_wrong_gb11714_char_that_mod31_and_stdnum_accept(code, org_check):
    assert is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)
    assert org_code_check_char(code[8:16]) == org_check
    with pytest.raises(IdentifierError) as exc:
        validate_uscc(code, strict_org_code=True)
    assert exc.value.code == "uscc.org_code_check"


def test_uscc_weights_are_powers_of_3_mod_31():
    assert list(USCC_WEIGHTS) == [pow(3, i, 31) for i in range(17)]
    assert list(USCC_WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_uscc_alphabet_has_31_symbols_without_i_o_s_v_z():
    assert len(USCC_ALPHABET) == len(set(USCC_ALPHABET)) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


@pytest.mark.parametrize(
    "raw",
    [
        "9135 0100-m000100Y43",
        "91350100m000100y43",
        " 91350100M000100Y43 ",
        "9135\u30000100M000100Y43",
    ],
)
def test_uscc_input_is_normalised_case_spaces_and_hyphens(raw):
    assert normalise(raw) == "91350100M000100Y43"
    assert validate_uscc(raw) == "91350100M000100Y43"


@pytest.mark.parametrize("code", ["N2110000MA1234567Q", "Y1110000MA1234567K"])
def test_uscc_position_1_a_n_y_accepted_although_stdnum_rejects(code):
    assert validate_uscc(code) == code
    with pytest.raises(InvalidFormat):
        stdnum_uscc.validate(code)


def test_uscc_position_1_a_accepted():
    body = "A1110000MA1234567"
    assert is_valid_uscc(body + uscc_check_char(body))


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("9135010", "uscc.length"),
        ("91350100M000100Y431", "uscc.length"),
        ("01350100M000100Y43", "uscc.format"),  # position 1 may not be 0
        ("B1350100M000100Y43", "uscc.format"),  # B is no registration authority
        ("9A350100M000100Y43", "uscc.format"),  # position 2 is a digit
        ("91350I00M000100Y43", "uscc.format"),  # admin division is digits
        ("91350100M000100O43", "uscc.format"),  # O is not in the alphabet
        ("91350100M000100Y4Z", "uscc.format"),  # Z is not in the alphabet
        ("91350100M000100Y44", "uscc.check_digit"),
    ],
)
def test_uscc_refusals_carry_a_stable_code(raw, code):
    with pytest.raises(IdentifierError) as exc:
        validate_uscc(raw)
    assert exc.value.code == code
    assert exc.value.message == str(exc.value)


# --- resident ID: fixed vectors ------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["360426199101010071", "120103198806018241", "11010519491231002X"]
)
def test_resident_id_valid(number):
    assert validate_resident_id(number) == number


def test_resident_id_lowercase_x_is_normalised():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "expected"), [("360426199101010072", "1"), ("230307196304054513", "X")]
)
def test_resident_id_bad_check_digit(number, expected):
    assert _ric_check(number[:17]) == expected
    with pytest.raises(IdentifierError) as exc:
        validate_resident_id(number)
    assert exc.value.code == "resident_id.check_digit"


def test_resident_id_area_code_not_looked_up_so_we_accept_what_stdnum_rejects():
    # Decision 2: the area code is not checked against a place list (areas are renamed and
    # merged; an old card stays valid). stdnum 2.2 refuses this one for its birth place.
    number = "230306196304054513"
    assert validate_resident_id(number) == number
    with pytest.raises(InvalidComponent):
        stdnum_ric.validate(number)


def test_resident_id_legacy_15_digits_refused_asking_for_18():
    with pytest.raises(IdentifierError) as exc:
        validate_resident_id("330106900101123")
    assert exc.value.code == "resident_id.legacy_15"
    assert "18位" in exc.value.message


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "00000101"])
def test_resident_id_with_impossible_birth_date_refused(birth):
    body = "330106" + birth + "123"
    with pytest.raises(IdentifierError) as exc:
        validate_resident_id(body + _ric_check(body))
    assert exc.value.code == "resident_id.birth_date"


@pytest.mark.parametrize("raw", ["3301061990010112", "33010619900101123A", "X30106199001011234"])
def test_resident_id_wrong_shape_refused(raw):
    with pytest.raises(IdentifierError) as exc:
        validate_resident_id(raw)
    assert exc.value.code == "resident_id.format"


@pytest.mark.parametrize(
    "raw",
    [
        "360426199101010072",
        "230307196304054513",
        "330106900101123",
        "330106199002301230",
        "33010619900101123A",
        "91350100M000100Y4Z",
        "91350100M000100Y5",
    ],
)
def test_error_messages_never_contain_the_id_number(raw):
    for validate in (validate_resident_id, validate_uscc):
        with pytest.raises(IdentifierError) as exc:
            validate(raw)
        text = f"{exc.value} {exc.value.message} {exc.value.args!r}"
        assert normalise(raw) not in text
        assert raw not in text
        assert raw[:14] not in text  # not even the area code and birth date


def test_identifier_error_survives_a_contextmanager_and_pickling():
    @contextmanager
    def unit_of_work():
        yield

    with pytest.raises(IdentifierError) as exc, unit_of_work():
        validate_uscc("x")
    assert exc.value.code == "uscc.length"
    copy = pickle.loads(pickle.dumps(exc.value))
    assert (copy.code, copy.message) == (exc.value.code, exc.value.message)


# --- masking -------------------------------------------------------------------------------


def test_resident_id_masked_to_area_code_and_last_four():
    assert mask_resident_id("330106199001011234") == "330106********1234"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳修", "欧阳*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("欧阳", "欧*"),  # may be 欧 + 阳: something is always hidden
        (" 李四 ", "李*"),
        ("王", "王"),
    ],
)
def test_person_name_masked_keeping_surname(name, masked):
    assert mask_person_name(name) == masked


def test_ids_masked_in_free_text():
    text = "当事人张三（身份证号330106199001011234，旧号330106900101123）于2024年受到处罚。"
    masked = mask_text_ids(text)
    assert "330106199001011234" not in masked
    assert "330106900101123" not in masked
    assert "330106********1234" in masked
    assert "330106*****1123" in masked
    assert masked.endswith("于2024年受到处罚。")


def test_free_text_masking_keeps_uscc_and_longer_numbers():
    text = "代码91350100M000100Y43，账号6222021234567890123456"
    assert mask_text_ids(text) == text


def test_free_text_masking_handles_trailing_x():
    assert mask_text_ids("号码11010519491231002X。") == "号码110105********002X。"


# --- cross-check against python-stdnum ----------------------------------------------------

_DIGITS = "0123456789"


@given(
    first=st.sampled_from("123456789"),
    digits=st.text(_DIGITS, min_size=7, max_size=7),
    rest=st.text(USCC_ALPHABET, min_size=9, max_size=9),
    wrong=st.sampled_from(USCC_ALPHABET),
)
def test_uscc_check_char_agrees_with_stdnum(first, digits, rest, wrong):
    body = first + digits + rest
    code = body + uscc_check_char(body)
    assert stdnum_uscc.is_valid(code)
    assert is_valid_uscc(code)
    if wrong != code[-1]:
        mutated = body + wrong
        assert not stdnum_uscc.is_valid(mutated)
        assert not is_valid_uscc(mutated)


# stdnum knows 110105 (朝阳区) for every year and 330106 (西湖区) from 1983.
_AREA_SINCE = {"110105": date(1950, 1, 1), "330106": date(1983, 1, 1)}


@st.composite
def _resident_bodies(draw):
    area = draw(st.sampled_from(sorted(_AREA_SINCE)))
    first, last = _AREA_SINCE[area], date(2005, 12, 31)
    birth = first + timedelta(days=draw(st.integers(0, (last - first).days)))
    sequence = draw(st.integers(0, 999))
    return f"{area}{birth:%Y%m%d}{sequence:03d}"


@given(body=_resident_bodies(), last=st.sampled_from("0123456789X"))
def test_resident_id_validity_agrees_with_stdnum(body, last):
    number = body + last
    assert is_valid_resident_id(number) == stdnum_ric.is_valid(number)
    correct = body + _ric_check(body)
    assert is_valid_resident_id(correct)
    assert stdnum_ric.is_valid(correct)


# --- ID numbers in every form people write them (issue 9 item 16) --------------------------


@pytest.mark.parametrize(
    "written",
    [
        "330106 19900101 1234",
        "330106-1990-0101-1234",
        "330106\u300019900101\u30001234",
        "3301 0619 9001 0112 34",
        "330106\u00a019900101\u00a01234",
        "330106—19900101—1234",
        "３３０１０６１９９００１０１１２３４",
        "ID330106199001011234",
        "330106199001011234号",
        "身份证330106199001011234",
    ],
)
def test_id_number_masked_whatever_separators_or_letters_surround_it(written):
    masked = mask_text_ids(f"当事人（{written}）受到处罚")
    assert "330106********1234" in masked
    assert "19900101" not in masked
    assert "１９９００１０１" not in masked


def test_id_number_with_lower_case_check_letter_masked():
    assert mask_text_ids("11010519491231002x") == "110105********002X"


def test_all_digit_government_uscc_is_not_taken_for_an_id_number():
    code = "113301000010000031"
    assert is_valid_uscc(code)
    assert not is_valid_resident_id(code)
    assert mask_text_ids(f"机关代码{code}。") == f"机关代码{code}。"


def test_number_valid_as_both_uscc_and_id_is_masked():
    # Privacy first: a digit string that passes both checks is treated as an ID number.
    both = next(
        n
        for n in (f"33010619900101{seq:03d}" for seq in range(1000))
        for n in [n + next(c for c in "0123456789X" if is_valid_resident_id(n + c))]
        if is_valid_uscc(n)
    )
    assert mask_text_ids(both) == both[:6] + "*" * 8 + both[-4:]


def test_long_digit_runs_with_separators_are_not_ids():
    for text in ("13800138000 13900139000", "6222 0212 3456 7890 1234", "2024-01-01 12:30:45"):
        assert mask_text_ids(text) == text
