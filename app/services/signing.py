"""PAdES signatures of the payroll summary, with pyHanko (RSA / ECDSA certificates).

The payroll flow needs only ``sign`` and ``validate``; the `Signer` protocol names
them so that a national-algorithm (SM2) CA can be plugged in instead: any object or
module with the same two functions will do (``signer: Signer = signing``).

Rules kept here:
- Each signature goes into a named field in its own incremental update, so a later
  signature covers the earlier ones and the whole file. The first signature of a
  document certifies it (DocMDP "fill forms"): after it, only further signatures are
  allowed changes.
- The PKCS#12 file and its password are used in memory for one call and never stored
  or logged.
- A signer's certificate must chain to a configured trust root and its subject must
  carry the expected identity (``serialNumber``, or ``organizationIdentifier`` for a
  legal person; an ETSI semantics prefix such as ``NTRCN-`` is accepted); otherwise
  the call is refused with a RuleViolation on the field "certificate". A subject with
  several values of either attribute names no one holder and is refused too.
- Validation never touches the network (no fetching of CRLs, OCSP or certificates).
"""
import asyncio
import functools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Protocol

from asn1crypto import pem
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.services import signature_stamp
from app.services.errors import Conflict, RuleViolation
from app.services.i18n import N_

NOT_PKCS12 = N_("上传的文件不是含私钥的PKCS#12数字证书（.p12/.pfx）")
BAD_PASSWORD = N_("数字证书密码不正确")
UNTRUSTED = N_("数字证书不是受信任的认证机构签发的，或已过期")
WRONG_HOLDER = N_("数字证书的持有人与签署人不符")
SEVERAL_IDENTITIES = N_("数字证书的主题含有多个证件号码（serialNumber 或 organizationIdentifier），无法确定持有人")
ALREADY_SIGNED = N_("该签名栏已经签署")

# Problem codes of a Report, for the caller to log or map to a message.
MISSING, NOT_INTACT, UNTRUSTED_SIGNER, WRONG_SIGNER = "missing", "not_intact", "untrusted", "wrong_signer"
NOT_WHOLE_FILE, MODIFIED_AFTER, UNEXPECTED, UNREADABLE = (
    "not_entire_file", "modified_after_signing", "unexpected_signature", "unreadable")

_ETSI_PREFIX = re.compile(r"^[A-Z]{3}[A-Z]{2}-")  # e.g. NTRCN-<USCC>, IDCCN-<ID number>


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    expected_serial: str
    problems: tuple[str, ...]
    signer_name: str | None = None
    signer_serial: str | None = None
    signed_at: datetime | None = None  # as the signer's software claimed it
    coverage: str | None = None  # pyHanko's SignatureCoverageLevel name
    modification_level: str | None = None  # pyHanko's ModificationLevel name

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Report:
    signatures: tuple[SignatureCheck, ...]
    problems: tuple[str, ...] = ()  # about the document as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.signatures)


class Signer(Protocol):
    def sign(self, pdf: bytes, field_name: str, pkcs12: bytes, password: str,
             expected_serial: str, trust_roots: list[bytes], role: str | None = None) -> bytes: ...

    def validate(self, pdf: bytes, trust_roots: list[bytes],
                 expected: list[tuple[str, str]]) -> Report: ...


def trust_roots_from_config(app_config) -> list[bytes]:
    """The CA certificates named by SIGNING_TRUST_ROOTS (paths of PEM or DER files)."""
    roots = []
    for path in app_config.get("SIGNING_TRUST_ROOTS") or []:
        try:
            roots.append(Path(path).read_bytes())
        except OSError as e:
            raise RuntimeError(f"SIGNING_TRUST_ROOTS: cannot read {path}: {e.strerror}") from e
    return roots


def _outside_event_loop(func):
    """pyHanko's synchronous calls run their own event loop (asyncio.run), which fails inside
    a thread whose loop is already running (an async server, Playwright's sync API): there the
    call goes to a short-lived thread of its own instead of reporting a good signature broken."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return func(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(func, *args, **kwargs).result()
    return wrapper


@_outside_event_loop
def sign(pdf: bytes, field_name: str, pkcs12: bytes, password: str,
         expected_serial: str, trust_roots: list[bytes], role: str | None = None) -> bytes:
    """Sign `pdf` into the field `field_name` as an incremental update; return the new file.
    The visible stamp reads "<role>：<holder's name from the certificate>" and the time."""
    key, cert, chain = _load_pkcs12(pkcs12, password)
    if _several_identities(cert):
        raise RuleViolation(SEVERAL_IDENTITIES, field="certificate")
    if not _holds_identity(cert, expected_serial):
        raise RuleViolation(WRONG_HOLDER, field="certificate")
    _require_trusted(cert, chain, trust_roots)
    reader = PdfFileReader(BytesIO(pdf))
    if any(s.field_name == field_name for s in reader.embedded_signatures):
        raise Conflict(ALREADY_SIGNED, field="certificate")
    first = not reader.embedded_signatures
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        certify=first, docmdp_permissions=MDPPerm.FILL_FORMS,
    )
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(chain)
    )
    out = BytesIO()
    shown = signature_stamp.text_params(role, holder_name(cert), datetime.now(timezone.utc))
    signers.PdfSigner(meta, signer, stamp_style=signature_stamp.style(shown)).sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)), output=out, appearance_text_params=shown
    )
    return out.getvalue()


@_outside_event_loop
def validate(pdf: bytes, trust_roots: list[bytes], expected: list[tuple[str, str]]) -> Report:
    """Check every expected (field, identity) signature and how the file changed after each."""
    try:
        embedded = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 — any unreadable upload is simply not a valid document
        return Report((), (UNREADABLE,))
    embedded = sorted(embedded, key=lambda s: s.signed_revision)
    by_name = {s.field_name: s for s in embedded}
    context = _context(trust_roots)
    checks = []
    for field_name, serial in expected:
        sig = by_name.get(field_name)
        if sig is None:
            checks.append(SignatureCheck(field_name, serial, (MISSING,)))
            continue
        checks.append(_check(sig, serial, context, last=sig is embedded[-1]))
    problems = []
    if {s.field_name for s in embedded} - {name for name, _ in expected}:
        problems.append(UNEXPECTED)
    if embedded and _coverage(embedded[-1]) != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(NOT_WHOLE_FILE)
    return Report(tuple(checks), tuple(problems))


def _check(sig, serial: str, context: ValidationContext, last: bool) -> SignatureCheck:
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context)
    except Exception:  # noqa: BLE001 — a signature pyHanko cannot even evaluate is broken
        return SignatureCheck(sig.field_name, serial, (NOT_INTACT,))
    cert = status.signing_cert
    problems = []
    if not (status.intact and status.valid):
        problems.append(NOT_INTACT)
    if not status.trusted:
        problems.append(UNTRUSTED_SIGNER)
    if not _holds_identity(cert, serial):
        problems.append(WRONG_SIGNER)
    coverage, level = status.coverage, status.modification_level
    if last and coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(NOT_WHOLE_FILE)
    # after an earlier signature only signing / form filling is allowed, and its DocMDP must agree
    if not last and (coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION
                     or level is None or level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False):
        problems.append(MODIFIED_AFTER)
    if not problems and not status.bottom_line:
        problems.append(NOT_INTACT)
    subject = cert.subject.native
    return SignatureCheck(
        sig.field_name, serial, tuple(problems),
        signer_name=holder_name(cert),
        signer_serial=subject.get("serial_number") or subject.get("organization_identifier"),
        signed_at=status.signer_reported_dt,
        coverage=coverage.name if coverage else None,
        modification_level=level.name if level is not None else None,
    )


def holder_name(cert: asn1_x509.Certificate) -> str | None:
    """The person's name (CN) or, for a legal person, the organisation's (O), as certified."""
    subject = cert.subject.native
    return subject.get("common_name") or subject.get("organization_name")


def _coverage(sig) -> SignatureCoverageLevel | None:
    # coverage is pure byte-range arithmetic: no need to validate the signature again
    return sig.evaluate_signature_coverage()


def _load_pkcs12(data: bytes, password: str):
    """(key, certificate, other certificates) as pyHanko wants them; refuse clearly."""
    try:
        asn1_pkcs12.Pfx.load(data)["auth_safe"]["content_type"].native  # noqa: B018 — parse check
    except Exception:  # noqa: BLE001 — anything that does not parse is not a PKCS#12 file
        raise RuleViolation(NOT_PKCS12, field="certificate") from None
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except Exception:  # noqa: BLE001 — it parsed as PKCS#12, so decryption is what failed
        raise RuleViolation(BAD_PASSWORD, field="certificate") from None
    if key is None or cert is None:
        raise RuleViolation(NOT_PKCS12, field="certificate")
    return (translate_pyca_cryptography_key_to_asn1(key), translate_pyca_cryptography_cert_to_asn1(cert),
            [translate_pyca_cryptography_cert_to_asn1(c) for c in others])


_IDENTITY_ATTRIBUTES = ("serial_number", "organization_identifier")


def _identities(cert: asn1_x509.Certificate) -> dict[str, list[str]]:
    """Every serialNumber and organizationIdentifier value of the subject, read from each
    attribute of each RDN (a multi-valued RDN included), not from a merged summary."""
    found = {attr: [] for attr in _IDENTITY_ATTRIBUTES}
    for rdn in cert.subject.chosen:
        for attribute in rdn:
            kind = attribute["type"].native
            if kind in found:
                found[kind].append(str(attribute["value"].native))
    return found


def _several_identities(cert: asn1_x509.Certificate) -> bool:
    # A second serialNumber would let one certificate match two people: the one that
    # matches proves nothing.
    return any(len(values) > 1 for values in _identities(cert).values())


def _holds_identity(cert: asn1_x509.Certificate, expected: str) -> bool:
    if _several_identities(cert):
        return False
    wanted = expected.strip().upper()
    for values in _identities(cert).values():
        for value in values:
            value = value.strip().upper()
            if value == wanted or _ETSI_PREFIX.sub("", value) == wanted:
                return True
    return False


def _require_trusted(cert, chain, trust_roots: list[bytes]) -> None:
    validator = CertificateValidator(cert, intermediate_certs=chain, validation_context=_context(trust_roots))
    try:
        # the same key usage pyHanko demands of a PDF signer when it validates
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except (PathBuildingError, ValidationError):
        raise RuleViolation(UNTRUSTED, field="certificate") from None


def _context(trust_roots: list[bytes]) -> ValidationContext:
    return ValidationContext(trust_roots=_parse_certs(trust_roots), allow_fetching=False,
                             revocation_mode="soft-fail")


def _parse_certs(blobs: list[bytes]) -> list[asn1_x509.Certificate]:
    certs = []
    for blob in blobs:
        if pem.detect(blob):
            certs += [asn1_x509.Certificate.load(der) for kind, _, der in pem.unarmor(blob, multiple=True)
                      if kind == "CERTIFICATE"]
        else:
            certs.append(asn1_x509.Certificate.load(blob))
    return certs
