"""The bank's receipts: which credits of a pushed batch were paid and which failed, as
signed JSON (the signature is checked with app/services/bank.verify_receipt_signature).
The same receipt may also come as ISO 20022 pain.002 (bank_status_report.py).

Every receipt carries the bank's own ``receipt_id``: payroll_batch.record_receipt keeps
it, so the same receipt sent again changes nothing."""
from dataclasses import dataclass

from app.services import text_input

RECEIPT_STATUSES = ("paid", "failed")
MAX_ID = 35  # ISO 20022 Max35Text, like the message and end-to-end ids of pain.001
MAX_REASON = 255  # PayrollLine.pay_failure_reason


class InvalidReceipt(ValueError):
    """What is wrong with a receipt, and the field it is about ("body" when the whole
    body is unreadable). The text is for the bank's developers: no repr of their input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReceiptLine:
    end_to_end_id: str
    status: str  # paid | failed
    reason: str | None = None


@dataclass(frozen=True)
class Receipt:
    receipt_id: str  # the bank's id of this receipt
    batch_no: str
    message_id: str  # the MsgId of the pain.001 it answers
    lines: tuple[ReceiptLine, ...]
    kind: str = "json"  # json | pain.002


def parse_receipt(body: bytes) -> Receipt:
    """The bank's JSON receipt, or InvalidReceipt saying what is wrong with it."""
    try:
        data = text_input.load_json(body)  # UTF-8, bounded depth, no NUL or lone surrogate
    except ValueError:
        raise InvalidReceipt("body", "the receipt is not UTF-8 JSON without NUL characters") from None
    if not isinstance(data, dict):
        raise InvalidReceipt("body", "the receipt must be a JSON object")
    receipt_id, batch_no, message_id = (_text(data, name) for name in ("receipt_id", "batch_no", "message_id"))
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidReceipt("lines", "lines must be a non-empty list")
    lines = []
    for i, raw in enumerate(raw_lines):
        where = f"lines[{i}]"
        if not isinstance(raw, dict):
            raise InvalidReceipt("lines", f"{where} must be an object")
        status = raw.get("status")
        if status not in RECEIPT_STATUSES:
            raise InvalidReceipt("lines", f"{where}.status must be 'paid' or 'failed'")
        reason = raw.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
            raise InvalidReceipt("lines", f"{where}.reason must be a string of at most {MAX_REASON} characters")
        lines.append(ReceiptLine(_text(raw, "end_to_end_id", "lines", where), status, reason or None))
    return Receipt(receipt_id, batch_no, message_id, checked_lines(lines))


def checked_lines(lines: list[ReceiptLine]) -> tuple[ReceiptLine, ...]:
    """The lines, each end-to-end id once: two words on one line in one receipt are no word."""
    seen = set()
    for i, line in enumerate(lines):
        if line.end_to_end_id in seen:
            raise InvalidReceipt("lines", f"lines[{i}]: end_to_end_id {line.end_to_end_id} appears twice")
        seen.add(line.end_to_end_id)
    return tuple(lines)


def _text(data: dict, name: str, field: str | None = None, where: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        label = f"{where}.{name}" if where else name
        raise InvalidReceipt(field or name, f"{label} must be a string of 1-{MAX_ID} characters")
    return value
