import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services import mobile
from app.services.mobile import normalize_mobile

mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)


def rejection(raw) -> str:
    with pytest.raises(ValueError) as excinfo:
        normalize_mobile(raw)
    return str(excinfo.value)


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+8613812345678",
        "+86 138-1234-5678",
        "8613812345678",
        "86 13812345678",
        "１３８１２３４５６７８",  # full-width IME input
    ],
)
def test_accepted_forms(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", [None, "", "   ", "--"])
def test_empty(raw):
    assert rejection(raw) == mobile.EMPTY == "请填写手机号码"


@pytest.mark.parametrize(
    "raw",
    [
        "12812345678",  # second digit 2
        "11812345678",
        "10812345678",
        "23812345678",  # does not start with 1
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+861381234567",  # prefix followed by 10 digits
        "+86138123456789",  # prefix followed by 12 digits
        "+8713812345678",
        "+13812345678",
        "008613812345678",
        "+86+8613812345678",
        "8686138123456",
        "1381234567a",
        "021-12345678",  # a landline
    ],
)
def test_rejected(raw):
    assert rejection(raw) == mobile.BAD_FORMAT == "手机号码应为以1开头的11位数字"


@given(mobiles, st.sampled_from(["", "86", "+86", "+86 ", "86-"]))
def test_valid_numbers_with_optional_prefix(number, prefix):
    assert normalize_mobile(prefix + number) == number


@given(mobiles, st.lists(st.sampled_from([" ", "-"]), min_size=11, max_size=11))
def test_separators_anywhere_are_ignored(number, seps):
    spaced = "".join(d + s for d, s in zip(number, seps))
    assert normalize_mobile(spaced) == number


@given(st.text("0123456789", min_size=1, max_size=20).filter(lambda s: len(s) not in (11, 13)))
def test_wrong_digit_counts_rejected(digits):
    assert rejection(digits) == mobile.BAD_FORMAT


@given(st.text("0123456789", min_size=11, max_size=11).filter(lambda s: s[0] != "1" or s[1] in "012"))
def test_bad_leading_digits_rejected(digits):
    assert rejection(digits) == mobile.BAD_FORMAT
