"""The bank's receipt as ISO 20022 pain.002.001.03: documents valid against the vendored
XSD become the same Receipt as the JSON one; anything else is refused with its field."""
import pytest
from lxml import etree

from app.services import bank_status_report
from app.services.bank_receipts import InvalidReceipt, ReceiptLine
from app.services.bank_status_report import NS, parse_status_report
from tests.support.bank_stub import status_report
from tests.unit.test_bank import files

PAIN001 = files("PB31011520240501-R2").xml  # credits 101, 102, 103 of a follow-up batch


def edited(xml: bytes, change) -> bytes:
    doc = etree.fromstring(xml)
    change(doc)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def find(doc, path):
    return doc.find(path, {"p": NS})


def set_text(path: str, text: str):
    return lambda doc: setattr(find(doc, path), "text", text)


def drop(path: str):
    """Removes every element at path."""
    return lambda doc: [node.getparent().remove(node) for node in doc.iterfind(path, {"p": NS})]


def test_a_status_report_reads_as_a_receipt():
    receipt = parse_status_report(status_report(PAIN001, failed={"102": "账户已销户"}, receipt_id="PSR-0001"))
    assert (receipt.receipt_id, receipt.batch_no, receipt.message_id, receipt.kind) == (
        "PSR-0001", "PB31011520240501", "PB31011520240501-R2", "pain.002")
    assert receipt.lines == (ReceiptLine("101", "paid"), ReceiptLine("102", "failed", "AC04 账户已销户"),
                             ReceiptLine("103", "paid"))


@pytest.mark.parametrize("status", ["ACCP", "ACSP", "ACTC"])
def test_accepted_but_not_settled_is_not_paid(status):
    """Paid is final: a line is paid only once the bank says the settlement is complete."""
    with pytest.raises(InvalidReceipt) as refused:
        parse_status_report(status_report(PAIN001, status=status))
    assert refused.value.field == "TxSts"


def test_the_vendored_schema_is_the_iso_one():
    schema = etree.parse(str(bank_status_report.XSD_PATH)).getroot()
    assert schema.get("targetNamespace") == NS
    assert schema.find("{http://www.w3.org/2001/XMLSchema}element").get("name") == "Document"


@pytest.mark.parametrize("change, field, message", [
    (set_text(".//p:TxInfAndSts/p:TxSts", "PDNG"), "TxSts", "must be one of"),  # pending: no last word
    (set_text(".//p:TxInfAndSts/p:TxSts", "PAID"), "body", "not a valid pain.002"),  # not an ISO code
    (set_text(".//p:OrgnlMsgNmId", "pain.008.001.02"), "OrgnlMsgNmId", "pain.001"),
    (drop(".//p:TxInfAndSts[1]/p:OrgnlEndToEndId"), "OrgnlEndToEndId", "no OrgnlEndToEndId"),
    (drop(".//p:TxInfAndSts"), "TxInfAndSts", "no transaction statuses"),
    (drop(".//p:GrpHdr/p:MsgId"), "body", "not a valid pain.002"),  # no receipt id
    (set_text(".//p:TxInfAndSts[2]/p:OrgnlEndToEndId", "101"), "lines", "twice"),
])
def test_status_reports_that_are_not_a_last_word_are_refused(change, field, message):
    with pytest.raises(InvalidReceipt, match=message) as refused:
        parse_status_report(edited(status_report(PAIN001), change))
    assert refused.value.field == field


@pytest.mark.parametrize("body", [
    b"", b"{}", b"<Document/>",
    files().xml,  # our own pain.001 is no status report
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>',
])
def test_other_documents_are_refused_as_a_whole(body):
    with pytest.raises(InvalidReceipt) as refused:
        parse_status_report(body)
    assert refused.value.field == "body" and "/etc/passwd" not in str(refused.value)
