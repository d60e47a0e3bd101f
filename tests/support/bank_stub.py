"""A bank on loopback for tests of the HTTP gateway and the receipt endpoint.

    with BankStub(key=b"k") as bank:
        HttpGateway(bank.url, b"k", timeout=5).push(files)
        bank.received[0].files["xml"]            # what arrived
        bank.send_receipt(callback_url, bank.receipt_for(bank.received[0], failed={"7": "卡号错误"}))

It accepts the gateway's multipart push only with a valid X-Bank-Signature, and
answers 202 {"reference"}; ``status`` forces another answer, ``delay`` a slow one.

Receipts answer a pain.001 file (what the stub received, or what the outbox holds):
``json_receipt`` as the JSON receipt, ``status_report`` as an ISO 20022 pain.002.001.03
document; each carries a fresh receipt id unless one is given.
"""
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from app.services.bank import NS, SIGNATURE_HEADER, batch_no_of, sign, verify_receipt_signature
from app.services.bank_status_report import NS as PAIN002


@dataclass
class Received:
    form: dict[str, str]
    files: dict[str, tuple[str, str, bytes]]  # field → (filename, content type, bytes)
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs):  # keep pytest output clean
        pass


class BankStub:
    def __init__(self, key: bytes, status: int = 202, delay: float = 0.0):
        self.key, self.status, self.delay = key, status, delay
        self.received: list[Received] = []
        self.refused = 0  # pushes turned away for a bad signature
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/payments"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_data(cache=True)  # the exact bytes the HMAC covers
        if request.method != "POST" or request.path != "/payments":
            return Response("not found", status=404)
        if not verify_receipt_signature(body, request.headers.get(SIGNATURE_HEADER), self.key):
            self.refused += 1
            return Response("bad signature", status=401)
        if self.delay:
            time.sleep(self.delay)
        if not 200 <= self.status < 300:
            return Response("stub told to fail", status=self.status)
        self.received.append(Received(
            form=dict(request.form),
            files={k: (f.filename, f.mimetype, f.read()) for k, f in request.files.items()},
            body=body, headers=dict(request.headers)))
        reference = f"STUB-{len(self.received):04d}"
        return Response(json.dumps({"reference": reference}), status=self.status, mimetype="application/json")

    @staticmethod
    def receipt_for(received: Received, failed: dict[str, str] | None = None, receipt_id: str | None = None) -> dict:
        """A receipt for every line of a push: paid, except ``failed`` {end_to_end_id: reason}."""
        return json_receipt(received.files["xml"][2], failed, receipt_id)

    def signed_receipt(self, receipt: dict | bytes, key: bytes | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers the bank would send (for a Flask test client, too): a dict
        as JSON, bytes (a status_report) as XML."""
        return signed(receipt, key or self.key)

    def send_receipt(self, url: str, receipt: dict | bytes, key: bytes | None = None) -> tuple[int, bytes]:
        """POST a signed receipt to url; returns (status, body) whatever the status."""
        body, headers = self.signed_receipt(receipt, key)
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


# --- receipts answering a pain.001 file -----------------------------------------------------

def new_receipt_id() -> str:
    return "RCPT" + uuid.uuid4().hex[:20]


def credits_of(pain001: bytes) -> tuple[str, list[str]]:
    """(MsgId, the EndToEndId of every credit) of a pain.001 file."""
    doc = etree.fromstring(pain001)
    ns = {"p": NS}
    return (doc.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns),
            doc.xpath("//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()", namespaces=ns))


def json_receipt(pain001: bytes, failed: dict[str, str] | None = None, receipt_id: str | None = None) -> dict:
    """Every credit paid, except ``failed`` {end_to_end_id: reason}."""
    failed = failed or {}
    message_id, ids = credits_of(pain001)
    lines = [{"end_to_end_id": i, "status": "failed", "reason": failed[i]} if i in failed
             else {"end_to_end_id": i, "status": "paid"} for i in ids]
    return {"receipt_id": receipt_id or new_receipt_id(), "batch_no": batch_no_of(message_id),
            "message_id": message_id, "lines": lines}


def status_report(pain001: bytes, failed: dict[str, str] | None = None, receipt_id: str | None = None,
                  status: str = "ACSC") -> bytes:
    """The same as an ISO 20022 pain.002.001.03 CustomerPaymentStatusReport: each credit
    ``status`` (ACSC, settled, by default), ``failed`` ones RJCT with reason code AC04."""
    failed = failed or {}
    message_id, ids = credits_of(pain001)

    def el(parent, tag, text=None):
        node = etree.SubElement(parent, f"{{{PAIN002}}}{tag}")
        node.text = text
        return node

    doc = etree.Element(f"{{{PAIN002}}}Document", nsmap={None: PAIN002})
    report = el(doc, "CstmrPmtStsRpt")
    header = el(report, "GrpHdr")
    el(header, "MsgId", receipt_id or new_receipt_id())
    el(header, "CreDtTm", datetime.now().replace(microsecond=0).isoformat())
    group = el(report, "OrgnlGrpInfAndSts")
    el(group, "OrgnlMsgId", message_id)
    el(group, "OrgnlMsgNmId", "pain.001.001.03")
    el(group, "OrgnlNbOfTxs", str(len(ids)))
    el(group, "GrpSts", "PART" if failed else status)
    payment = el(report, "OrgnlPmtInfAndSts")
    el(payment, "OrgnlPmtInfId", message_id)
    for i in ids:
        tx = el(payment, "TxInfAndSts")
        el(tx, "OrgnlEndToEndId", i)
        el(tx, "TxSts", "RJCT" if i in failed else status)
        if i in failed:
            reason = el(tx, "StsRsnInf")
            el(el(reason, "Rsn"), "Cd", "AC04")
            el(reason, "AddtlInf", failed[i])
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(doc, encoding="UTF-8")


def signed(receipt: dict | bytes, key: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a receipt as the bank sends it, HMAC-signed under key."""
    if isinstance(receipt, bytes):
        return receipt, {"Content-Type": "application/xml", SIGNATURE_HEADER: sign(receipt, key)}
    body = json.dumps(receipt, ensure_ascii=False).encode("utf-8")
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, key)}
