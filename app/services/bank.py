"""The bank side of payroll (DOMAIN §8): the transfer instruction file and the signature
both directions carry. Pushing the file with the signed summary PDF to the project's
bank is bank_gateways.py; the bank's signed receipts are read by bank_receipts.py (JSON)
and bank_status_report.py (pain.002) and recorded by bank_settlement.py.

The instruction is an ISO 20022 pain.001.001.03 credit transfer: one debit from the
project's 农民工工资专用账户, one credit per worker's card. Chinese accounts are not
IBANs, so both sides use the schema's generic identifier (``Othr/Id``).

Both directions are authenticated the same way: an HMAC-SHA256 of the exact body bytes
under the shared key, sent as ``X-Bank-Signature: sha256=<hex>``.
"""
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from lxml import etree

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
XSD_PATH = Path(__file__).resolve().parent.parent / "schemas" / "pain.001.001.03.xsd"
CURRENCY = "CNY"
SIGNATURE_HEADER = "X-Bank-Signature"
# China has no daylight saving time, so a fixed offset is exact and needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class InvalidTransferFile(ValueError):
    """The instruction file breaks the schema or its own totals; ``errors`` lists why."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid pain.001.001.03 transfer file: " + "; ".join(errors))


# --- the transfer instruction --------------------------------------------------------

@dataclass(frozen=True)
class Credit:
    end_to_end_id: str  # the payroll line id: the receipt names lines by it
    name: str
    account: str  # the worker's card number
    amount_fen: int
    remittance_info: str = ""
    bank: str = ""  # the card's bank (开户银行); cross-bank transfers need it


@dataclass(frozen=True)
class Transfer:
    batch_no: str
    message_id: str  # batch_no, plus an attempt suffix for follow-up batches
    created_at: datetime  # timezone-aware
    requested_date: date
    debtor_name: str  # the wage account's name (账户名称)
    debtor_account: str  # the wage account's number
    debtor_bank: str
    lines: list[Credit] = field(default_factory=list)


def message_id_for(batch_no: str, attempt: int = 1) -> str:
    """MsgId of a batch: the batch number, suffixed for follow-ups so the bank's
    duplicate check never swallows a re-send."""
    return batch_no if attempt <= 1 else f"{batch_no}-R{attempt}"


def batch_no_of(message_id: str) -> str:
    """The batch number a MsgId was made from (message_id_for in reverse): a pain.002
    names only the message it answers."""
    return re.sub(r"-R[0-9]+$", "", message_id)


def format_fen(fen: int) -> str:
    """Integer fen as a decimal yuan string, e.g. 123456 → "1234.56" (no floats)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"amount must be a non-negative integer of fen, not {fen!r}")
    yuan, cents = divmod(fen, 100)
    return f"{yuan}.{cents:02d}"


def parse_fen(text: str) -> int:
    """The inverse of format_fen, exact; refuses sub-fen precision."""
    try:
        fen = Decimal(text.strip()) * 100
    except (InvalidOperation, AttributeError):
        raise ValueError(f"not an amount: {text!r}") from None
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {text!r} has fractions of a fen")
    return int(fen)


def credit_transfer_xml(batch: Transfer) -> bytes:
    """The pain.001.001.03 document for a batch, validated before it is returned."""
    problems = _input_problems(batch)
    if problems:  # checked before formatting: divmod of a negative would print nonsense
        raise InvalidTransferFile(problems)

    count, total = str(len(batch.lines)), format_fen(sum(c.amount_fen for c in batch.lines))
    doc = etree.Element(_q("Document"), nsmap={None: NS})
    root = _sub(doc, "CstmrCdtTrfInitn")
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", batch.created_at.astimezone(SHANGHAI).replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", batch.debtor_name)

    info = _sub(root, "PmtInf")
    _sub(info, "PmtInfId", batch.message_id)
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", count)
    _sub(info, "CtrlSum", total)
    # SALA: ISO category purpose "salary payment", so the bank books them as wages.
    _sub(_sub(_sub(info, "PmtTpInf"), "CtgyPurp"), "Cd", "SALA")
    _sub(info, "ReqdExctnDt", batch.requested_date.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", batch.debtor_name)
    _account(info, "DbtrAcct", batch.debtor_account)
    _sub(_sub(_sub(info, "DbtrAgt"), "FinInstnId"), "Nm", batch.debtor_bank)
    for credit in batch.lines:
        _credit(info, credit)

    # A double-quoted declaration, as bank parsers expect (lxml would write single quotes).
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(doc, encoding="UTF-8", pretty_print=True)
    validate_xml(xml)
    return xml


def _input_problems(batch: Transfer) -> list[str]:
    # Named here because the schema's own message would only say "Id is too short".
    problems = [f"{name} is missing" for name in ("message_id", "debtor_name", "debtor_account", "debtor_bank")
                if not str(getattr(batch, name) or "").strip()]
    if batch.created_at.tzinfo is None:
        problems.append("created_at must be timezone-aware")
    if not batch.lines:
        problems.append("a transfer needs at least one line")
    for c in batch.lines:
        problems += [f"line {c.end_to_end_id!r}: {name} is missing"
                     for name in ("end_to_end_id", "name", "account") if not str(getattr(c, name) or "").strip()]
        if isinstance(c.amount_fen, bool) or not isinstance(c.amount_fen, int) or c.amount_fen <= 0:
            problems.append(f"line {c.end_to_end_id!r}: amount must be a positive integer of fen, not {c.amount_fen!r}")
    return problems


def _credit(info, credit: Credit) -> None:
    tx = _sub(info, "CdtTrfTxInf")
    _sub(_sub(tx, "PmtId"), "EndToEndId", credit.end_to_end_id)
    _sub(_sub(tx, "Amt"), "InstdAmt", format_fen(credit.amount_fen), Ccy=CURRENCY)
    if credit.bank:
        _sub(_sub(_sub(tx, "CdtrAgt"), "FinInstnId"), "Nm", credit.bank)
    _sub(_sub(tx, "Cdtr"), "Nm", credit.name)
    _account(tx, "CdtrAcct", credit.account)
    if credit.remittance_info:
        _sub(_sub(tx, "RmtInf"), "Ustrd", credit.remittance_info)


def _account(parent, tag: str, number: str) -> None:
    account = _sub(parent, tag)
    _sub(_sub(_sub(account, "Id"), "Othr"), "Id", number)
    _sub(account, "Ccy", CURRENCY)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, _q(tag), attrs)
    if text is not None:
        element.text = str(text)  # ids may arrive as ints
    return element


# --- validation ----------------------------------------------------------------------

@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def validate_xml(xml: bytes) -> None:
    """Raise InvalidTransferFile unless xml is a valid pain.001.001.03 document whose
    counts and control sums match its lines and whose every amount is positive CNY."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        doc = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidTransferFile([f"not well-formed XML: {exc}"]) from None
    schema = _schema()
    if not schema.validate(doc):
        raise InvalidTransferFile([f"line {e.line}: {e.message}" for e in schema.error_log])
    errors = _totals_errors(doc)
    if errors:
        raise InvalidTransferFile(errors)


def _totals_errors(doc) -> list[str]:
    # The schema allows zero amounts, any currency, sub-fen digits and totals that
    # disagree with the lines; a bank does not.
    ns, errors, every = {"p": NS}, [], []

    def fen_of(element) -> int | None:
        try:
            return parse_fen(element.text)
        except ValueError as exc:
            errors.append(f"line {element.sourceline}: {exc}")
            return None

    def check_totals(scope: str, node, amounts: list[int | None]) -> None:
        count, ctrl = node.find("p:NbOfTxs", ns), node.find("p:CtrlSum", ns)
        if count is not None and int(count.text) != len(amounts):
            errors.append(f"{scope} NbOfTxs is {count.text}, but there are {len(amounts)} lines")
        if ctrl is not None and None not in amounts and fen_of(ctrl) != sum(amounts):
            errors.append(f"{scope} CtrlSum {ctrl.text} is not the sum of its lines")

    for block in doc.iterfind(".//p:PmtInf", ns):
        amounts = []
        for element in block.iterfind("p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns):
            amounts.append(fen_of(element))
            if element.get("Ccy") != CURRENCY or amounts[-1] == 0:
                errors.append(f"line {element.sourceline}: amount must be a positive {CURRENCY} sum")
        check_totals(f"PmtInf {block.findtext('p:PmtInfId', namespaces=ns)}", block, amounts)
        every += amounts
    check_totals("GrpHdr", doc.find(".//p:GrpHdr", ns), every)
    return errors


# --- the signature of both directions ------------------------------------------------

def sign(body: bytes, key: bytes) -> str:
    """The X-Bank-Signature value for body."""
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_receipt_signature(body: bytes, header: str | None, key: bytes) -> bool:
    """Whether header is ``sha256=<hex HMAC of body under key>``; constant-time.
    Fails closed: no header or no key is never a match."""
    if not header or not key:
        return False
    if isinstance(key, str):
        key = key.encode()
    return hmac.compare_digest(sign(body, key).encode(), header.strip().lower().encode("utf-8", "replace"))
