import json
import socket
import threading
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.services import bank, bank_receipts
from app.services.bank import (
    Credit, InvalidTransferFile, Transfer, credit_transfer_xml, format_fen, sign, validate_xml, verify_receipt_signature,
)
from app.services.bank_gateways import BankPushError, HttpGateway, OutboxGateway, PushFiles, gateway_from_config
from app.services.bank_receipts import parse_receipt
from tests.support.bank_stub import BankStub

P = {"p": bank.NS}
KEY = b"shared-secret-with-the-bank"
PDF = b"%PDF-1.7\n% signed payroll summary\n%%EOF\n"


def transfer(lines=None, **changes) -> Transfer:
    lines = lines if lines is not None else [
        Credit("101", "张三", "6222020200112233445", 1_234_56, "2024年5月工资", "中国工商银行上海分行"),
        Credit("102", "欧阳娜娜", "6217001234567890123", 1),
        Credit("103", "李四", "6228480012345678901", 99, bank="中国农业银行"),
    ]
    return replace(Transfer(
        batch_no="PB31011520240501", message_id="PB31011520240501",
        created_at=datetime(2024, 5, 31, 16, 30, tzinfo=timezone.utc), requested_date=date(2024, 6, 3),
        debtor_name="上海建工示范集团有限公司", debtor_account="31050161373600001234",
        debtor_bank="中国建设银行上海浦东分行", lines=lines), **changes)


def fen(text: str) -> int:
    # Independent of bank.parse_fen: Decimal arithmetic, exact.
    value = Decimal(text) * 100
    assert value == value.to_integral_value()
    return int(value)


def xpath(xml: bytes, path: str) -> list:
    return etree.fromstring(xml).xpath(path, namespaces=P)


def mutated(xml: bytes, change) -> bytes:
    doc = etree.fromstring(xml)
    change(doc)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


# --- the instruction file ------------------------------------------------------------

def test_the_file_validates_and_its_totals_equal_the_lines():
    t = transfer()
    xml = credit_transfer_xml(t)
    validate_xml(xml)
    etree.XMLSchema(etree.parse(str(bank.XSD_PATH))).assertValid(etree.fromstring(xml))
    expected = sum(c.amount_fen for c in t.lines)
    for scope in ("//p:GrpHdr", "//p:PmtInf"):
        assert xpath(xml, f"{scope}/p:NbOfTxs/text()") == [str(len(t.lines))]
        assert [fen(s) for s in xpath(xml, f"{scope}/p:CtrlSum/text()")] == [expected]
    amounts = xpath(xml, "//p:CdtTrfTxInf/p:Amt/p:InstdAmt")
    assert [fen(a.text) for a in amounts] == [c.amount_fen for c in t.lines]
    assert {a.get("Ccy") for a in amounts} == {"CNY"}
    assert [a.text for a in amounts] == ["1234.56", "0.01", "0.99"]


def test_one_debit_from_the_wage_account_and_one_credit_per_worker_card():
    t = transfer()
    xml = credit_transfer_xml(t)
    assert xpath(xml, "//p:GrpHdr/p:MsgId/text()") == [t.message_id]
    assert len(xpath(xml, "//p:PmtInf")) == 1
    assert xpath(xml, "//p:DbtrAcct/p:Id/p:Othr/p:Id/text()") == [t.debtor_account]
    assert xpath(xml, "//p:Dbtr/p:Nm/text()") == [t.debtor_name]
    assert xpath(xml, "//p:DbtrAgt/p:FinInstnId/p:Nm/text()") == [t.debtor_bank]
    assert xpath(xml, "//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()") == ["101", "102", "103"]
    assert xpath(xml, "//p:CdtrAcct/p:Id/p:Othr/p:Id/text()") == [c.account for c in t.lines]
    assert xpath(xml, "//p:IBAN") == []  # Chinese accounts are not IBANs
    assert xpath(xml, "//p:ReqdExctnDt/text()") == ["2024-06-03"]
    assert xpath(xml, "//p:CreDtTm/text()") == ["2024-06-01T00:30:00+08:00"]  # Shanghai time


def test_chinese_names_survive_as_utf8():
    t = transfer()
    xml = credit_transfer_xml(t)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "欧阳娜娜".encode("utf-8") in xml
    assert xpath(xml, "//p:Cdtr/p:Nm/text()") == ["张三", "欧阳娜娜", "李四"]
    assert xpath(xml, "//p:RmtInf/p:Ustrd/text()") == ["2024年5月工资"]
    assert xpath(xml, "//p:CdtrAgt/p:FinInstnId/p:Nm/text()") == ["中国工商银行上海分行", "中国农业银行"]


def test_follow_up_batches_get_their_own_message_id():
    assert bank.message_id_for("PB1", 1) == "PB1"
    assert bank.message_id_for("PB1", 2) == "PB1-R2"
    for batch_no, attempt in (("PB1", 1), ("P7-202611-2", 2), ("P7-202611-12", 12)):
        assert bank.batch_no_of(bank.message_id_for(batch_no, attempt)) == batch_no
    xml = credit_transfer_xml(transfer(message_id=bank.message_id_for("PB31011520240501", 3)))
    assert xpath(xml, "//p:MsgId/text()") == ["PB31011520240501-R3"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=30))
def test_control_sum_is_exact_for_any_amounts(amounts):
    lines = [Credit(str(i), "王五", "6222020200112233445", a) for i, a in enumerate(amounts)]
    xml = credit_transfer_xml(transfer(lines))
    assert [fen(s) for s in xpath(xml, "//p:CtrlSum/text()")] == [sum(amounts)] * 2
    assert [fen(s) for s in xpath(xml, "//p:InstdAmt/text()")] == amounts


@given(st.integers(min_value=0, max_value=10**15))
def test_fen_round_trips_through_yuan_text(n):
    assert bank.parse_fen(format_fen(n)) == n == fen(format_fen(n))


@pytest.mark.parametrize("amount", [0, -1, -150, 1.5, "100", True, None])
def test_builder_refuses_amounts_that_are_not_positive_fen(amount):
    t = transfer([Credit("7", "张三", "6222020200112233445", amount)])
    with pytest.raises(InvalidTransferFile, match="line '7': amount must be a positive integer of fen"):
        credit_transfer_xml(t)


@pytest.mark.parametrize("changes, message", [
    ({"debtor_account": ""}, "debtor_account is missing"),
    ({"debtor_name": "  "}, "debtor_name is missing"),
    ({"debtor_bank": None}, "debtor_bank is missing"),
    ({"lines": []}, "at least one line"),
    ({"lines": [Credit("9", "张三", "", 100)]}, "line '9': account is missing"),
    ({"created_at": datetime(2024, 5, 31, 16, 30)}, "timezone-aware"),
])
def test_builder_refuses_incomplete_batches(changes, message):
    with pytest.raises(InvalidTransferFile, match=message):
        credit_transfer_xml(transfer(**changes))


def test_builder_refuses_what_the_schema_refuses_with_its_reason():
    with pytest.raises(InvalidTransferFile, match="maxLength") as exc:
        credit_transfer_xml(transfer([Credit("1", "名" * 141, "6222020200112233445", 100)]))
    assert isinstance(exc.value, ValueError) and exc.value.errors


def _set_first_amount(value):
    return lambda doc: setattr(doc.find(".//p:InstdAmt", P), "text", value)


def _drop(path):
    def change(doc):
        node = doc.find(path, P)
        node.getparent().remove(node)
    return change


@pytest.mark.parametrize("change, message", [
    (_set_first_amount("-1234.56"), "minInclusive"),          # the schema
    (_set_first_amount("0.00"), "positive CNY"),              # our rule on top of it
    (_set_first_amount("1234.561"), "fractions of a fen"),
    (lambda doc: doc.find(".//p:InstdAmt", P).set("Ccy", "USD"), "positive CNY"),
    (_drop(".//p:DbtrAcct"), "DbtrAcct"),
    (_drop(".//p:CdtTrfTxInf"), "NbOfTxs is 3, but there are 2 lines"),
    (lambda doc: setattr(doc.find(".//p:GrpHdr/p:CtrlSum", P), "text", "1235.55"), "GrpHdr CtrlSum 1235.55"),
    (lambda doc: setattr(doc.find(".//p:MsgId", P), "text", "X" * 36), "MsgId"),
])
def test_invalid_documents_are_refused(change, message):
    xml = mutated(credit_transfer_xml(transfer()), change)
    with pytest.raises(InvalidTransferFile, match=message):
        validate_xml(xml)


def test_garbage_and_foreign_documents_are_refused():
    with pytest.raises(InvalidTransferFile, match="not well-formed"):
        validate_xml(b"<Document><unclosed></Document>")
    with pytest.raises(InvalidTransferFile, match="No matching global declaration"):
        validate_xml(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.008.001.02'/>")
    entity = b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>'
    with pytest.raises(InvalidTransferFile):
        validate_xml(entity)


# --- gateways ---------------------------------------------------------------------------

def files(message_id="PB31011520240501") -> PushFiles:
    xml = credit_transfer_xml(transfer(message_id=message_id))
    return PushFiles(batch_no="PB31011520240501", message_id=message_id, xml=xml, pdf=PDF)


def test_outbox_gateway_writes_both_files_into_a_batch_folder(tmp_path):
    outbox = tmp_path / "bank-outbox"
    result = OutboxGateway(outbox).push(files())
    folder = outbox / "PB31011520240501"
    assert result.location == str(folder) and result.message_id == "PB31011520240501"
    assert (folder / "PB31011520240501.xml").read_bytes() == files().xml
    assert (folder / "PB31011520240501.pdf").read_bytes() == PDF
    assert sorted(p.name for p in outbox.iterdir()) == ["PB31011520240501"]  # no staging left


def test_outbox_gateway_never_overwrites_a_pushed_batch(tmp_path):
    gateway = OutboxGateway(tmp_path)
    first = gateway.push(files())
    assert gateway.push(files()) == first  # a retry of the same files is a success
    with pytest.raises(BankPushError, match="already in the outbox"):
        gateway.push(replace(files(), pdf=PDF + b"another signature"))
    gateway.push(files("PB31011520240501-R2"))  # a follow-up goes beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PB31011520240501", "PB31011520240501-R2"]


def test_an_outbox_that_cannot_be_written_says_so_without_its_path(tmp_path, caplog, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")  # a file where the outbox folder should be
    with pytest.raises(BankPushError) as refused:
        OutboxGateway(blocker / "outbox").push(files())
    assert str(refused.value) == "could not write batch PB31011520240501 to the outbox"
    assert str(tmp_path) in caplog.text  # the administrator finds the path in the log


@pytest.mark.parametrize("message_id", ["../escape", ".hidden", "a/b", "", "批次1"])
def test_gateways_refuse_message_ids_that_are_not_path_safe(tmp_path, message_id):
    with pytest.raises(ValueError, match="message id"):
        OutboxGateway(tmp_path).push(replace(files(), message_id=message_id))
    assert list(tmp_path.iterdir()) == []


def test_http_gateway_pushes_signed_multipart_to_the_bank():
    with BankStub(KEY) as stub:
        result = HttpGateway(stub.url, KEY, timeout=5).push(files())
    assert result.bank_reference == "STUB-0001" and result.location == stub.url
    assert stub.refused == 0 and len(stub.received) == 1
    got = stub.received[0]
    assert got.form == {"batch_no": "PB31011520240501", "message_id": "PB31011520240501"}
    assert got.files["xml"] == ("PB31011520240501.xml", "application/xml", files().xml)
    assert got.files["pdf"] == ("PB31011520240501.pdf", "application/pdf", PDF)
    assert got.headers[bank.SIGNATURE_HEADER] == sign(got.body, KEY)


def test_http_gateway_with_the_wrong_key_is_refused_by_the_bank():
    with BankStub(KEY) as stub:
        with pytest.raises(BankPushError, match="refused batch PB31011520240501: HTTP 401"):
            HttpGateway(stub.url, b"not-the-key", timeout=5).push(files())
    assert stub.refused == 1 and stub.received == []


def test_http_gateway_reports_a_bank_error():
    with BankStub(KEY, status=503) as stub:
        with pytest.raises(BankPushError, match="HTTP 503"):
            HttpGateway(stub.url, KEY, timeout=5).push(files())


def test_http_gateway_gives_up_after_its_timeout():
    with BankStub(KEY, delay=1.0) as stub:
        with pytest.raises(BankPushError, match="did not answer within 0.2s"):
            HttpGateway(stub.url, KEY, timeout=0.2).push(files())


def test_http_gateway_reports_an_unreachable_bank():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BankPushError, match="unreachable"):
        HttpGateway(f"http://127.0.0.1:{port}/payments", KEY, timeout=2).push(files())


def test_http_gateway_needs_a_key():
    with pytest.raises(ValueError, match="BANK_HMAC_KEY"):
        HttpGateway("https://bank.example/payments", b"")


def test_gateway_from_config(tmp_path):
    outbox = gateway_from_config({"BANK_GATEWAY": "outbox", "BANK_OUTBOX": str(tmp_path)})
    assert isinstance(outbox, OutboxGateway) and outbox.folder == tmp_path
    assert isinstance(gateway_from_config({"BANK_OUTBOX": str(tmp_path)}), OutboxGateway)
    http = gateway_from_config({"BANK_GATEWAY": "https://bank.example/payroll", "BANK_HMAC_KEY": "k",
                                "BANK_TIMEOUT_SECONDS": "7"})
    assert isinstance(http, HttpGateway) and (http.url, http.key, http.timeout) == (
        "https://bank.example/payroll", b"k", 7.0)
    assert isinstance(gateway_from_config({"BANK_GATEWAY": "http://127.0.0.1:8080/p", "BANK_HMAC_KEY": "k"}),
                      HttpGateway)
    with pytest.raises(ValueError, match="BANK_HMAC_KEY"):
        gateway_from_config({"BANK_GATEWAY": "https://bank.example/payroll"})
    with pytest.raises(ValueError, match="https"):
        gateway_from_config({"BANK_GATEWAY": "http://bank.example/payroll", "BANK_HMAC_KEY": "k"})
    with pytest.raises(ValueError, match="'outbox' or an http"):
        gateway_from_config({"BANK_GATEWAY": "ftp://bank.example"})


# --- receipts ---------------------------------------------------------------------------

RECEIPT = {"receipt_id": "RC-20240603-0001", "batch_no": "PB31011520240501", "message_id": "PB31011520240501",
           "lines": [{"end_to_end_id": "101", "status": "paid"},
                     {"end_to_end_id": "102", "status": "failed", "reason": "户名与卡号不符"}]}


def receipt_body(receipt=RECEIPT) -> bytes:
    return json.dumps(receipt, ensure_ascii=False).encode()


def test_receipt_signature_verification():
    body = receipt_body()
    good = sign(body, KEY)
    assert verify_receipt_signature(body, good, KEY)
    assert verify_receipt_signature(body, good.upper().replace("SHA256=", "sha256="), KEY)  # hex case
    assert not verify_receipt_signature(body.replace(b"paid", b"pai "), good, KEY)  # tampered body
    assert not verify_receipt_signature(body, good, b"another-key")
    assert not verify_receipt_signature(body, None, KEY)
    assert not verify_receipt_signature(body, "", KEY)
    assert not verify_receipt_signature(body, good.removeprefix("sha256="), KEY)  # bare hex
    assert not verify_receipt_signature(body, "sha256=ä" + good[8:], KEY)  # junk, no exception
    assert not verify_receipt_signature(body, sign(body, b""), b"")  # no key, no trust


def test_parse_receipt():
    receipt = parse_receipt(receipt_body())
    assert (receipt.receipt_id, receipt.batch_no, receipt.message_id, receipt.kind) == (
        "RC-20240603-0001", "PB31011520240501", "PB31011520240501", "json")
    assert receipt.lines == (bank_receipts.ReceiptLine("101", "paid"), bank_receipts.ReceiptLine("102", "failed", "户名与卡号不符"))


@pytest.mark.parametrize("body, field, message", [
    (b"{not json", "body", "not UTF-8 JSON"),
    ("{}".encode("utf-16"), "body", "not UTF-8 JSON"),
    (b'{"receipt_id": "R\\u0000"}', "body", "NUL"),
    (b"[]", "body", "JSON object"),
    (receipt_body({k: v for k, v in RECEIPT.items() if k != "receipt_id"}), "receipt_id", "receipt_id must be"),
    (receipt_body({**RECEIPT, "receipt_id": ""}), "receipt_id", "receipt_id must be"),
    (receipt_body({**RECEIPT, "receipt_id": 17}), "receipt_id", "receipt_id must be"),
    (receipt_body({**RECEIPT, "receipt_id": "R" * 36}), "receipt_id", "1-35 characters"),
    (receipt_body({**RECEIPT, "batch_no": None}), "batch_no", "batch_no must be"),
    (receipt_body({**RECEIPT, "message_id": "M" * 36}), "message_id", "message_id must be"),
    (receipt_body({**RECEIPT, "lines": []}), "lines", "non-empty list"),
    (receipt_body({**RECEIPT, "lines": ["101"]}), "lines", r"lines\[0\] must be an object"),
    (receipt_body({**RECEIPT, "lines": [{"status": "paid"}]}), "lines", r"lines\[0\]\.end_to_end_id"),
    (receipt_body({**RECEIPT, "lines": [{"end_to_end_id": "1", "status": "ok"}]}), "lines", "'paid' or 'failed'"),
    (receipt_body({**RECEIPT, "lines": [{"end_to_end_id": "1", "status": "failed", "reason": 5}]}), "lines", "reason"),
    (receipt_body({**RECEIPT, "lines": [{"end_to_end_id": "1", "status": "failed", "reason": "长" * 256}]}),
     "lines", "at most 255"),
    (receipt_body({**RECEIPT, "lines": RECEIPT["lines"][:1] * 2}), "lines", "appears twice"),
])
def test_parse_receipt_refuses_malformed_receipts(body, field, message):
    with pytest.raises(bank_receipts.InvalidReceipt, match=message) as refused:
        parse_receipt(body)
    assert refused.value.field == field


def test_the_stub_sends_a_signed_receipt_that_we_accept():
    """Round trip on loopback: push, the bank answers for every line, we verify and parse."""
    arrived = []

    @Request.application
    def callback(request):
        body = request.get_data()
        if not verify_receipt_signature(body, request.headers.get(bank.SIGNATURE_HEADER), KEY):
            return Response(status=401)
        arrived.append(parse_receipt(body))
        return Response(status=204)

    server = make_server("127.0.0.1", 0, callback, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/bank/receipts"
    try:
        with BankStub(KEY) as stub:
            HttpGateway(stub.url, KEY, timeout=5).push(files())
            receipt = stub.receipt_for(stub.received[0], failed={"102": "卡号不存在"})
            assert stub.send_receipt(url, receipt)[0] == 204
            assert stub.send_receipt(url, receipt, key=b"forged")[0] == 401
    finally:
        server.shutdown()
        server.server_close()
    assert len(arrived) == 1
    assert [(line.end_to_end_id, line.status, line.reason) for line in arrived[0].lines] == [
        ("101", "paid", None), ("102", "failed", "卡号不存在"), ("103", "paid", None)]
