import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.services import bankcard
from app.services.bankcard import luhn_check_digit, mask_card_number, normalize_card_number
from tests.support.identifiers import make_card_number

# Published test numbers (Visa, Mastercard, Amex, Discover, JCB, UnionPay).
KNOWN_VALID = [
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "3530111333300000",
    "6200000000000005",
    "6205500000000000004",
]


def luhn_ok(number: str) -> bool:
    # Independent oracle: double every second digit from the right, sum the
    # decimal digits of everything, total must end in 0.
    doubled = "".join(str(int(c) * (1 + i % 2)) for i, c in enumerate(reversed(number)))
    return sum(map(int, doubled)) % 10 == 0


def rejection(raw) -> str:
    with pytest.raises(ValueError) as excinfo:
        normalize_card_number(raw)
    return str(excinfo.value)


cards = st.builds(
    lambda prefix, length, seed: make_card_number(prefix, length, seed),
    st.sampled_from(["622202", "621700", "6", "4", "62284801"]),
    st.integers(12, 19),
    st.integers(0, 10**12),
)
any_cards = st.text("0123456789", min_size=11, max_size=18).map(lambda p: p + luhn_check_digit(p))


def test_textbook_luhn_example():
    assert luhn_check_digit("7992739871") == "3"


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_numbers_validate(number):
    assert normalize_card_number(number) == number
    assert luhn_check_digit(number[:-1]) == number[-1]


@pytest.mark.parametrize(
    "raw", ["4111 1111 1111 1111", "4111-1111-1111-1111", " 4111111111111111\n", "４１１１１１１１１１１１１１１１"]
)
def test_spaces_and_hyphens_are_removed(raw):
    assert normalize_card_number(raw) == "4111111111111111"


@pytest.mark.parametrize("raw", [None, "", "   ", "- -"])
def test_empty(raw):
    assert rejection(raw) == bankcard.EMPTY == "请填写银行卡号"


@pytest.mark.parametrize("raw", ["411111111111111A", "+4111111111111111", "4111.1111.1111.1111"])
def test_non_digits(raw):
    assert rejection(raw) == bankcard.BAD_CHARS == "银行卡号只能包含数字"


@pytest.mark.parametrize("length", [11, 20])
def test_bad_length(length):
    payload = "6" * (length - 1)
    assert rejection(payload + luhn_check_digit(payload)) == bankcard.BAD_LENGTH == "银行卡号应为12至19位数字"


def test_bad_check_digit():
    assert rejection("4111111111111112") == bankcard.BAD_CHECK == "银行卡号校验位不正确"


def test_luhn_check_digit_rejects_non_digits():
    with pytest.raises(ValueError, match=bankcard.BAD_CHARS):
        luhn_check_digit("12a4")


def test_mask():
    assert mask_card_number("6222021234567891234") == "6222 **** **** 1234"
    assert mask_card_number("6222 0212 3456 7891 234") == "6222 **** **** 1234"
    assert mask_card_number("4111111111111111") == "4111 **** **** 1111"
    with pytest.raises(ValueError, match=bankcard.BAD_LENGTH):
        mask_card_number("12345678")


@given(cards)
def test_mask_hides_the_middle(number):
    masked = mask_card_number(number)
    assert masked == f"{number[:4]} **** **** {number[-4:]}"
    # only the first and last four digits are shown, however the middle repeats them
    assert "".join(ch for ch in masked if ch.isdigit()) == number[:4] + number[-4:]


@given(st.text("0123456789", min_size=1, max_size=30))
def test_check_digit_agrees_with_oracle(payload):
    assert luhn_ok(payload + luhn_check_digit(payload))


@given(cards)
def test_generated_cards_validate(number):
    assert normalize_card_number(number) == number
    assert luhn_ok(number)


def test_generator_shape():
    number = make_card_number("622202", 19, seed=7)
    assert len(number) == 19 and number.startswith("622202")
    assert make_card_number(seed=1) != make_card_number(seed=2)


@given(any_cards, st.integers(0, 18), st.sampled_from("0123456789"))
def test_any_single_digit_substitution_is_rejected(number, pos, new):
    assume(pos < len(number) and number[pos] != new)
    assert rejection(number[:pos] + new + number[pos + 1:]) == bankcard.BAD_CHECK


@given(any_cards, st.integers(0, 17))
def test_adjacent_transpositions_other_than_09_are_rejected(number, pos):
    assume(pos + 1 < len(number))
    a, b = number[pos], number[pos + 1]
    assume(a != b and {a, b} != {"0", "9"})
    assert rejection(number[:pos] + b + a + number[pos + 2:]) == bankcard.BAD_CHECK


def test_known_luhn_blind_spot_09_transposition():
    # Luhn cannot see 09 <-> 90: doubled 9 contributes 9, the same as undoubled.
    payload = "62220200000009"
    number = payload + luhn_check_digit(payload)
    swapped = number.replace("09", "90")
    assert swapped != number
    assert normalize_card_number(swapped) == swapped
