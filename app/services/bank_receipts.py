"""The bank's receipts: which credits of a pushed batch were paid and which failed, as
signed JSON (the signature is checked with app/services/bank.verify_receipt_signature)."""
import json
from dataclasses import dataclass


RECEIPT_STATUSES = ("paid", "failed")


@dataclass(frozen=True)
class ReceiptLine:
    end_to_end_id: str
    status: str  # paid | failed
    reason: str | None = None


@dataclass(frozen=True)
class Receipt:
    batch_no: str
    message_id: str
    lines: tuple[ReceiptLine, ...]


def parse_receipt(body: bytes) -> Receipt:
    """The bank's receipt, or ValueError saying what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"receipt is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("receipt must be a JSON object")
    batch_no, message_id = _text(data, "batch_no"), _text(data, "message_id")
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValueError("receipt 'lines' must be a non-empty list")
    lines, seen = [], set()
    for i, raw in enumerate(raw_lines):
        where = f"lines[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"receipt {where} must be an object")
        e2e = _text(raw, "end_to_end_id", where)
        if e2e in seen:
            raise ValueError(f"receipt {where}: end_to_end_id {e2e!r} appears twice")
        seen.add(e2e)
        status = raw.get("status")
        if status not in RECEIPT_STATUSES:
            raise ValueError(f"receipt {where}: status must be 'paid' or 'failed', not {status!r}")
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise ValueError(f"receipt {where}: reason must be a string")
        lines.append(ReceiptLine(e2e, status, reason or None))
    return Receipt(batch_no, message_id, tuple(lines))


def _text(data: dict, name: str, where: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 35:
        raise ValueError(f"receipt {where + ': ' if where else ''}{name!r} must be a string of 1-35 characters")
    return value
