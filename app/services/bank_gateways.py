"""Pushing a payroll batch to the project's bank: the pain.001 instruction and the summary
PDF with both signatures, into an outbox folder the bank's client collects, or POSTed to
the bank with the body's HMAC (app/services/bank.py).

A BankPushError's text is a sentence fit for an administrator's screen: it names the
batch, never a server path or an exception's repr. Those details go to the log. Its
`reason` (with `params`) is the same sentence in the users' words, kept on the outbox
row and shown translated on the batch page."""
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from app.services.bank import SIGNATURE_HEADER, sign
from app.services.i18n import N_

log = logging.getLogger(__name__)

# Message ids name outbox folders and uploaded files: keep them path-safe.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,34}")


REFUSED = N_("银行拒收了批次 %(batch)s（HTTP %(code)s）")
NO_ANSWER = N_("银行在 %(seconds)s 秒内没有应答（批次 %(batch)s）")
UNREACHABLE = N_("无法连接银行（批次 %(batch)s）")
NOT_WRITTEN = N_("无法把批次 %(batch)s 写入银行交换目录")
OTHER_CONTENT = N_("银行交换目录中已有批次 %(batch)s，且内容不同")


class BankPushError(RuntimeError):
    """The batch did not reach the bank (refused, unreachable, timed out, already there)."""

    def __init__(self, text: str, reason: str, **params):
        super().__init__(text)
        self.reason, self.params = reason, params


@dataclass(frozen=True)
class PushFiles:
    batch_no: str
    message_id: str
    xml: bytes  # the pain.001 instruction
    pdf: bytes  # the payroll summary with both signatures


@dataclass(frozen=True)
class PushResult:
    message_id: str
    location: str  # the outbox folder, or the bank's URL
    bank_reference: str | None = None  # what the bank calls it, when it says


class Gateway(Protocol):
    def push(self, batch_files: PushFiles) -> PushResult: ...


def _file_stem(files: PushFiles) -> str:
    if not _SAFE_ID.fullmatch(files.message_id):
        raise ValueError("a message id must be 1-35 letters, digits, '-' or '_'")
    return files.message_id


class OutboxGateway:
    """Files in ``<folder>/<message_id>/`` for the bank's client to pick up. The folder
    is built under a temporary name and renamed, so a reader never sees half a batch."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def push(self, batch_files: PushFiles) -> PushResult:
        stem = _file_stem(batch_files)
        target = self.folder / stem
        wanted = {stem + ".xml": batch_files.xml, stem + ".pdf": batch_files.pdf}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if target.exists():
                # A retry after a failed commit finds its own files: same bytes are a success.
                if all((target / name).is_file() and (target / name).read_bytes() == data
                       for name, data in wanted.items()):
                    return PushResult(message_id=stem, location=str(target))
                log.error("bank outbox %s already holds batch %s with other content", target, stem)
                raise BankPushError(f"batch {stem} is already in the outbox, with other content",
                                    OTHER_CONTENT, batch=stem)
            self._write(target, wanted)
        except OSError as exc:
            log.error("could not write batch %s to the bank outbox %s: %s", stem, self.folder, exc)
            raise BankPushError(f"could not write batch {stem} to the outbox", NOT_WRITTEN, batch=stem) from exc
        return PushResult(message_id=stem, location=str(target))

    def _write(self, target: Path, wanted: dict[str, bytes]) -> None:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=self.folder))
        try:
            for name, data in wanted.items():
                with open(staging / name, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            staging.chmod(0o750)  # mkdtemp's 0700 would hide it from the bank client's group
            os.rename(staging, target)  # fails rather than merges if the target appeared
            _fsync_folder(self.folder)  # so the rename itself survives a crash
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be re-sent as a bodiless GET elsewhere: treat it as a refusal.
    def redirect_request(self, *args, **kwargs):
        return None


class HttpGateway:
    """POST multipart/form-data (fields batch_no, message_id; files xml, pdf) to the bank."""

    def __init__(self, url: str, hmac_key: bytes, timeout: float = 30):
        if not hmac_key:
            raise ValueError("the HTTP bank gateway needs an HMAC key (BANK_HMAC_KEY)")
        self.url, self.key, self.timeout = url, hmac_key, timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def push(self, batch_files: PushFiles) -> PushResult:
        stem = _file_stem(batch_files)
        body, content_type = _multipart(
            [("batch_no", None, None, batch_files.batch_no.encode()),
             ("message_id", None, None, stem.encode()),
             ("xml", stem + ".xml", "application/xml", batch_files.xml),
             ("pdf", stem + ".pdf", "application/pdf", batch_files.pdf)])
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": content_type, SIGNATURE_HEADER: sign(body, self.key), "Accept": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                reply = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            log.error("the bank at %s refused batch %s: HTTP %s %s", self.url, stem, exc.code, exc.reason)
            raise BankPushError(f"the bank refused batch {stem}: HTTP {exc.code}", REFUSED, batch=stem,
                                code=exc.code) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            log.error("pushing batch %s to the bank at %s failed: %r", stem, self.url, reason)
            if isinstance(reason, TimeoutError):
                raise BankPushError(f"the bank did not answer within {self.timeout}s for batch {stem}",
                                    NO_ANSWER, batch=stem, seconds=f"{self.timeout:g}") from exc
            raise BankPushError(f"the bank is unreachable for batch {stem}", UNREACHABLE, batch=stem) from exc
        return PushResult(message_id=stem, location=self.url, bank_reference=_reference(reply))


def _multipart(parts) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in data for *_, data in parts):
        boundary = secrets.token_hex(16)
    out = bytearray()
    for name, filename, content_type, data in parts:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        if filename:
            out += f'; filename="{filename}"\r\nContent-Type: {content_type}'.encode()
        out += b"\r\n\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _reference(reply: bytes) -> str | None:
    try:
        value = json.loads(reply).get("reference")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def gateway_from_config(config) -> Gateway:
    """BANK_GATEWAY: "outbox" (default; files in BANK_OUTBOX) or the bank's URL, which
    needs BANK_HMAC_KEY; BANK_TIMEOUT_SECONDS (default 30) bounds each push."""
    kind = (config.get("BANK_GATEWAY") or "outbox").strip()
    if kind == "outbox":
        return OutboxGateway(config["BANK_OUTBOX"])
    url = urlsplit(kind)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"BANK_GATEWAY must be 'outbox' or an http(s) URL, not {kind!r}")
    if url.scheme == "http" and not _is_loopback(url.hostname):
        # Names and card numbers must not cross a network in clear; plain HTTP is for stubs.
        raise ValueError("BANK_GATEWAY must use https:// unless the bank is on this machine")
    key = config.get("BANK_HMAC_KEY") or ""
    return HttpGateway(kind, key.encode() if isinstance(key, str) else key,
                       float(config.get("BANK_TIMEOUT_SECONDS") or 30))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
