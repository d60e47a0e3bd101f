"""The bank's receipt as ISO 20022 pain.002.001.03 (CustomerPaymentStatusReportV03), the
status report that answers our pain.001.001.03 (bank.py). It is read into the same
Receipt as the JSON receipt (bank_receipts.py) and recorded the same way:

- the receipt id is GrpHdr/MsgId (the report's own message id);
- the batch is the one whose pain.001 MsgId is OrgnlGrpInfAndSts/OrgnlMsgId;
- each TxInfAndSts names a line by OrgnlEndToEndId: TxSts ACSC (settlement completed)
  is paid, RJCT is failed, with the reason code and any AddtlInf text as the reason. Any
  other status (pending, or accepted — ACCP, ACSP, ACTC — but not yet settled) is not a
  last word about money and is refused, as is a report without transaction statuses: a
  line is marked paid only once the bank says the money reached the card, since paid is
  final.

Validated against the vendored XSD (app/schemas/README.md) before anything is read.
"""
from functools import lru_cache
from pathlib import Path

from lxml import etree

from app.services import bank
from app.services.bank_receipts import MAX_REASON, InvalidReceipt, Receipt, ReceiptLine, checked_lines

NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
XSD_PATH = Path(__file__).resolve().parent.parent / "schemas" / "pain.002.001.03.xsd"
ANSWERS = "pain.001.001.03"  # OrgnlMsgNmId: the only message we send
PAID, FAILED = ("ACSC",), ("RJCT",)

_NS = {"p": NS}


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def parse_status_report(body: bytes) -> Receipt:
    """The pain.002 document as a Receipt, or InvalidReceipt saying what is wrong."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        doc = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise InvalidReceipt("body", "the status report is not well-formed XML") from None
    schema = _schema()
    if not schema.validate(doc):
        first = schema.error_log[0]
        raise InvalidReceipt("body", f"not a valid pain.002.001.03 document (line {first.line}): {first.message}"[:300])
    group = doc.find("p:CstmrPmtStsRpt/p:OrgnlGrpInfAndSts", _NS)
    if group.findtext("p:OrgnlMsgNmId", namespaces=_NS) != ANSWERS:
        raise InvalidReceipt("OrgnlMsgNmId", f"the status report must answer a {ANSWERS} message")
    message_id = group.findtext("p:OrgnlMsgId", namespaces=_NS)
    transactions = doc.findall("p:CstmrPmtStsRpt/p:OrgnlPmtInfAndSts/p:TxInfAndSts", _NS)
    if not transactions:
        raise InvalidReceipt("TxInfAndSts", "the status report has no transaction statuses")
    return Receipt(receipt_id=doc.findtext("p:CstmrPmtStsRpt/p:GrpHdr/p:MsgId", namespaces=_NS),
                   batch_no=bank.batch_no_of(message_id), message_id=message_id,
                   lines=checked_lines([_line(i, tx) for i, tx in enumerate(transactions)]), kind="pain.002")


def _line(i: int, tx) -> ReceiptLine:
    end_to_end_id, status = tx.findtext("p:OrgnlEndToEndId", namespaces=_NS), tx.findtext("p:TxSts", namespaces=_NS)
    if not end_to_end_id:
        raise InvalidReceipt("OrgnlEndToEndId", f"TxInfAndSts[{i}] has no OrgnlEndToEndId")
    if status in PAID:
        return ReceiptLine(end_to_end_id, "paid")
    if status in FAILED:
        return ReceiptLine(end_to_end_id, "failed", _reason(tx))
    raise InvalidReceipt("TxSts", f"TxInfAndSts[{i}]: TxSts must be one of {', '.join(PAID + FAILED)}")


def _reason(tx) -> str | None:
    """The reason code (e.g. AC04, closed account) and the bank's words, as one text."""
    parts = []
    for info in tx.iterfind("p:StsRsnInf", _NS):
        parts += [info.findtext("p:Rsn/p:Cd", namespaces=_NS), info.findtext("p:Rsn/p:Prtry", namespaces=_NS)]
        parts += [text.text for text in info.iterfind("p:AddtlInf", _NS)]
    return " ".join(part.strip() for part in parts if part and part.strip())[:MAX_REASON] or None
