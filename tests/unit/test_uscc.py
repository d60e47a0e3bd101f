import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.services import uscc
from app.services.uscc import ALPHABET, check_character, normalize_uscc
from tests.support.identifiers import make_uscc

# Published codes of well-known companies (Fujian sample, Alibaba, Tencent,
# Xiaomi, Huawei); they were issued by registries, not by this algorithm.
REAL_CODES = [
    "91350100M000100Y43",
    "91330100716105852F",
    "9144030071526726XG",
    "91110108551385082Q",
    "91440300708461136T",
]


def mod31_ok(code: str) -> bool:
    # Independent oracle: weights 3**i mod 31, check character weight 1,
    # the whole sum must be divisible by 31.
    values = [ALPHABET.index(c) for c in code]
    return (sum(v * pow(3, i, 31) for i, v in enumerate(values[:17])) + values[17]) % 31 == 0


def rejection(raw) -> str:
    with pytest.raises(ValueError) as excinfo:
        normalize_uscc(raw)
    return str(excinfo.value)


codes = st.text(ALPHABET, min_size=17, max_size=17).map(lambda s: s + check_character(s))


def test_alphabet_has_31_characters_without_i_o_z_s_v():
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOZSV") & set(ALPHABET)


def test_weights_are_powers_of_three_mod_31():
    assert uscc.WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code):
    assert check_character(code[:17]) == code[17]
    assert normalize_uscc(code) == code
    assert mod31_ok(code)


def test_check_value_zero_maps_to_digit_zero():
    # Sum 0 must give "0", not ALPHABET[31] (IndexError) - the outer "% 31".
    assert check_character("0" * 17) == "0"


@pytest.mark.parametrize(
    "raw", ["91350100m000100y43", "  91350100M000100Y43 ", "9135 0100 M000 100Y 43", "９１３５０１００Ｍ０００１００Ｙ４３"]
)
def test_lenient_input_is_canonicalised(raw):
    assert normalize_uscc(raw) == "91350100M000100Y43"


@pytest.mark.parametrize("raw", [None, "", "  ", "\t\n"])
def test_empty(raw):
    assert rejection(raw) == uscc.EMPTY == "请填写统一社会信用代码"


@pytest.mark.parametrize("raw", ["91350100M000100Y4", "91350100M000100Y433", "123"])
def test_bad_length(raw):
    assert rejection(raw) == uscc.BAD_LENGTH == "统一社会信用代码应为18位"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V", "i", "-", "*", "中"])
def test_bad_characters(letter):
    code = "91350100M000100Y43"
    assert rejection(letter + code[1:]) == uscc.BAD_CHARS == "统一社会信用代码含有不允许的字符"


def test_bad_check_character():
    assert rejection("91350100M000100Y44") == uscc.BAD_CHECK == "统一社会信用代码校验位不正确"


def test_check_character_rejects_malformed_input():
    with pytest.raises(ValueError, match=uscc.BAD_LENGTH):
        check_character("9135")
    with pytest.raises(ValueError, match=uscc.BAD_CHARS):
        check_character("O" * 17)


@given(codes)
def test_generated_codes_validate(code):
    assert normalize_uscc(code) == code
    assert normalize_uscc(code.lower()) == code
    assert mod31_ok(code)


@given(st.integers(0, 10**9))
def test_make_uscc_codes_validate(seed):
    code = make_uscc(seed)
    assert normalize_uscc(code) == code


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_make_uscc_distinct_seeds_give_distinct_codes(a, b):
    assume(a != b)
    assert make_uscc(a) != make_uscc(b)


@given(codes, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_rejected(code, pos, new):
    assume(code[pos] != new)
    # The weight is a power of 3, never 0 mod the prime 31.
    assert rejection(code[:pos] + new + code[pos + 1:]) == uscc.BAD_CHECK


@given(codes, st.integers(0, 16))
def test_any_adjacent_transposition_is_rejected(code, pos):
    a, b = code[pos], code[pos + 1]
    assume(a != b)
    # Weights w and 3w (or 28 and 1 at the end) differ mod 31, so the sum moves.
    assert rejection(code[:pos] + b + a + code[pos + 2:]) == uscc.BAD_CHECK
