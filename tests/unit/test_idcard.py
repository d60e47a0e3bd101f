from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from app.services import idcard
from app.services.idcard import (
    age_on,
    birth_date,
    check_character,
    mask_id_number,
    normalize_id_number,
    sex,
)
from tests.support.identifiers import make_id_number

GB_EXAMPLE = "11010519491231002X"  # the worked example in GB 11643-1999


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


def iso7064_ok(number: str) -> bool:
    # Independent oracle: ISO 7064 MOD 11-2 over all 18 characters, weight
    # 2**(17-i) mod 11, X worth 10, must leave remainder 1.
    values = [10 if c == "X" else int(c) for c in number]
    return sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


def rejection(raw) -> str:
    with pytest.raises(ValueError) as excinfo:
        normalize_id_number(raw)
    return str(excinfo.value)


ids = st.builds(
    make_id_number,
    region=st.integers(100000, 899999).map(str),
    birth=st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    seq=st.integers(0, 999),
)


# --- check character -------------------------------------------------------

def test_gb_example_check_character_is_x():
    assert check_character(GB_EXAMPLE[:17]) == "X"


def test_weights_are_powers_of_two_mod_11():
    assert idcard.WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))


@pytest.mark.parametrize(
    "first17, expected",
    # Weighted sums 0, 7 and 2 (mod 11) map to "1", "5" and "X".
    [("00000000000000000", "1"), ("10000000000000000", "5"), ("00000000000000001", "X")],
)
def test_check_character_table(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize("bad", ["", "1234567890123456", "123456789012345678", "1234567890123456X"])
def test_check_character_rejects_malformed_input(bad):
    with pytest.raises(ValueError, match=idcard.BAD_FORMAT):
        check_character(bad)


@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_character_agrees_with_iso7064(first17):
    assert iso7064_ok(first17 + check_character(first17))


# --- normalisation: accepted input ------------------------------------------

def test_gb_example_is_valid():
    assert normalize_id_number(GB_EXAMPLE) == GB_EXAMPLE


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "  11010519491231002X\n",
        "110105 19491231 002x",
        "１１０１０５１９４９１２３１００２ｘ",  # full-width IME input
    ],
)
def test_lenient_input_is_canonicalised(raw):
    assert normalize_id_number(raw) == GB_EXAMPLE


@pytest.mark.parametrize("born", [date(1900, 1, 1), date(2000, 2, 29), date(1999, 12, 31)])
def test_boundary_and_leap_birth_dates_accepted(born):
    number = make_id_number(birth=born)
    assert normalize_id_number(number) == number


# --- normalisation: each rejection reason -------------------------------------

@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty(raw):
    assert rejection(raw) == idcard.EMPTY == "请填写身份证号码"


@pytest.mark.parametrize(
    "raw",
    [
        GB_EXAMPLE[:17],  # 17 characters
        GB_EXAMPLE + "1",  # 19 characters
        "310101199001011",  # old 15-digit format is not accepted
        "11010519491231X02X",  # X only allowed last
        "1101051949123100AX",
        "11010519491231002Y",
        "110105-19491231002X",
    ],
)
def test_bad_length_or_characters(raw):
    assert rejection(raw) == idcard.BAD_FORMAT == "身份证号码应为18位"


@pytest.mark.parametrize("first", "09")
def test_region_must_start_with_1_to_8(first):
    number = with_check(first + "1010519900101123")
    assert rejection(number) == idcard.BAD_REGION == "身份证号码地区码无效"


@pytest.mark.parametrize(
    "yyyymmdd",
    [
        "19000229",  # 1900 was not a leap year
        "20230229",
        "18991231",  # before 1900-01-01
        "19901301",
        "19900001",
        "19900100",
        "19900431",
        "00000000",
    ],
)
def test_bad_birth_date(yyyymmdd):
    number = with_check("310101" + yyyymmdd + "123")
    assert rejection(number) == idcard.BAD_BIRTH_DATE == "身份证号码中的出生日期无效"


def test_bad_check_character():
    assert rejection("110105194912310021") == idcard.BAD_CHECK == "身份证号码校验位不正确"


# --- "today" is the Shanghai calendar date ------------------------------------

# 2024-05-31 16:30 UTC is already 2024-06-01 00:30 in Shanghai.
@time_machine.travel(datetime(2024, 5, 31, 16, 30, tzinfo=timezone.utc), tick=False)
def test_born_today_in_shanghai_is_accepted_while_utc_is_still_yesterday():
    number = make_id_number(birth=date(2024, 6, 1))
    assert normalize_id_number(number) == number
    tomorrow = make_id_number(birth=date(2024, 6, 2))
    assert rejection(tomorrow) == idcard.BAD_BIRTH_DATE


# 2024-05-31 15:59 UTC is 23:59 on 2024-05-31 in Shanghai.
@time_machine.travel(datetime(2024, 5, 31, 15, 59, tzinfo=timezone.utc), tick=False)
def test_born_tomorrow_in_shanghai_is_rejected():
    assert rejection(make_id_number(birth=date(2024, 6, 1))) == idcard.BAD_BIRTH_DATE
    number = make_id_number(birth=date(2024, 5, 31))
    assert normalize_id_number(number) == number


# --- derived facts --------------------------------------------------------------

def test_gb_example_birth_date_and_sex():
    assert birth_date(GB_EXAMPLE) == date(1949, 12, 31)
    assert sex(GB_EXAMPLE) == "female"  # 17th character 2 is even


def test_odd_17th_character_is_male():
    assert sex(with_check("11010519491231001")) == "male"


@pytest.mark.parametrize("wanted", ["male", "female"])
@pytest.mark.parametrize("seq", [0, 1, 998, 999])
def test_generator_sex_argument(wanted, seq):
    assert sex(make_id_number(seq=seq, sex=wanted)) == wanted


def test_derived_facts_validate_first():
    with pytest.raises(ValueError, match=idcard.BAD_CHECK):
        birth_date("110105194912310021")
    with pytest.raises(ValueError, match=idcard.BAD_CHECK):
        sex("110105194912310021")


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2024, 6, 14), 15),  # the day before the 16th birthday
        (date(2024, 6, 15), 16),  # the 16th birthday
        (date(2024, 6, 16), 16),
        (date(2008, 6, 15), 0),
        (date(2009, 6, 14), 0),
        (date(2009, 6, 15), 1),
    ],
)
def test_age_on_boundaries(on, expected):
    assert age_on(make_id_number(birth=date(2008, 6, 15)), on) == expected


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2016, 2, 28), 15),
        (date(2016, 2, 29), 16),
        (date(2017, 2, 28), 16),  # common year: birthday not yet reached
        (date(2017, 3, 1), 17),
    ],
)
def test_age_on_29_february_birthday(on, expected):
    assert age_on(make_id_number(birth=date(2000, 2, 29)), on) == expected


def test_age_on_before_birth_is_rejected():
    with pytest.raises(ValueError, match=idcard.BEFORE_BIRTH):
        age_on(make_id_number(birth=date(2008, 6, 15)), date(2008, 6, 14))


def anniversary(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


@given(st.dates(date(1900, 1, 1), date(2020, 12, 31)), st.integers(0, 40000))
def test_age_on_counts_anniversaries_passed(born, days_later):
    on = born + timedelta(days=days_later)
    passed = sum(anniversary(born, y) <= on for y in range(born.year + 1, on.year + 1))
    assert age_on(make_id_number(birth=born), on) == passed


# --- masking ---------------------------------------------------------------------

def test_mask_gb_example():
    assert mask_id_number(GB_EXAMPLE) == "1101**********002X"
    assert mask_id_number("11010519491231002x") == "1101**********002X"


def test_mask_rejects_wrong_length():
    with pytest.raises(ValueError, match=idcard.BAD_FORMAT):
        mask_id_number("1101051949")


@given(ids)
def test_mask_keeps_length_and_hides_the_middle(number):
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert masked[4:14] == "*" * 10
    assert number[6:14] not in masked  # the birth date is not visible


# --- properties over generated numbers ------------------------------------------

@given(ids)
def test_generated_ids_validate(number):
    assert normalize_id_number(number) == number
    assert normalize_id_number(number.lower()) == number
    assert iso7064_ok(number)


@given(
    st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    st.integers(0, 999),
    st.sampled_from(["male", "female"]),
)
def test_generator_round_trips_birth_and_sex(born, seq, wanted):
    number = make_id_number(birth=born, seq=seq, sex=wanted)
    assert birth_date(number) == born
    assert sex(number) == wanted


def expected_messages(pos: int, new: str) -> set[str]:
    """What a single substituted character at `pos` may be reported as."""
    if new == "X" and pos < 17:
        return {idcard.BAD_FORMAT}
    if pos == 0 and new in "09":
        return {idcard.BAD_REGION}
    if 6 <= pos < 14:  # the birth date may become invalid first
        return {idcard.BAD_BIRTH_DATE, idcard.BAD_CHECK}
    return {idcard.BAD_CHECK}


@given(ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_substitution_is_rejected(number, pos, new):
    if number[pos] == new:
        new = "0" if new != "0" else "1"
    changed = number[:pos] + new + number[pos + 1:]
    assert rejection(changed) in expected_messages(pos, new)


@given(ids, st.integers(0, 16))
def test_any_adjacent_transposition_is_rejected(number, pos):
    # Swapping a, b at weights 2w, w changes the sum by (a-b)*w, never 0 mod 11.
    a, b = number[pos], number[pos + 1]
    if a == b:
        return
    swapped = number[:pos] + b + a + number[pos + 2:]
    message = rejection(swapped)
    if 1 <= pos and pos + 1 < 6 or 14 <= pos < 16:
        assert message == idcard.BAD_CHECK  # no date, region or X involved
    else:
        assert message in {
            idcard.BAD_CHECK, idcard.BAD_BIRTH_DATE, idcard.BAD_REGION, idcard.BAD_FORMAT,
        }
