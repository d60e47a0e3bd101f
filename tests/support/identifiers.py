"""Generators of valid identifiers for tests, factories and demo data.

Deterministic: the same arguments always give the same identifier, and
distinct seeds give distinct identifiers (the seed is mapped through a
bijection), so factories can use a sequence number as the seed.
"""

from datetime import date

from app.services import bankcard, idcard, uscc


def make_id_number(
    region: str = "310101",
    birth: date = date(1990, 1, 1),
    seq: int = 123,
    sex: str | None = None,
) -> str:
    """A valid 18-character ID; `sex` ("male"/"female") fixes seq's parity."""
    if len(region) != 6 or not region.isdigit() or region[0] not in "12345678":
        raise ValueError("region must be six digits starting with 1-8")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be within 0..999")
    if sex is not None:
        if sex not in ("male", "female"):
            raise ValueError("sex must be 'male' or 'female'")
        if (seq % 2 == 1) != (sex == "male"):
            seq ^= 1  # flips parity and stays within 0..999
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + idcard.check_character(first17)


_USCC_SPACE = 31**9


def make_uscc(seed: int = 0) -> str:
    """A valid code "91310115" + 9 characters derived from seed."""
    # 7919 is coprime to 31, so this affine map is a bijection mod 31**9.
    n = (seed * 7919 + 104729) % _USCC_SPACE
    body = []
    for _ in range(9):
        n, r = divmod(n, 31)
        body.append(uscc.ALPHABET[r])
    first17 = "91310115" + "".join(body)
    return first17 + uscc.check_character(first17)


def make_card_number(prefix: str = "622202", length: int = 19, seed: int = 0) -> str:
    """A Luhn-valid card number of `length` digits starting with `prefix`."""
    if not prefix.isdigit() or not 12 <= length <= 19 or len(prefix) >= length:
        raise ValueError("need a digit prefix shorter than a length in 12..19")
    width = length - len(prefix) - 1
    # 7919 is coprime to 10, so this affine map is a bijection mod 10**width.
    body = f"{(seed * 7919 + 104729) % 10**width:0{width}d}" if width else ""
    payload = prefix + body
    return payload + bankcard.luhn_check_digit(payload)
