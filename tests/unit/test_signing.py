"""PAdES signing of the payroll summary: the PM signs, then the GC enterprise; the
checks refuse the wrong certificate before signing and catch any later change."""
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from app.services import demo_ca, signing
from app.services.errors import Conflict, RuleViolation
from app.services.payroll_pdf import ENTERPRISE_SIGNATURE_FIELD as ENT
from app.services.payroll_pdf import PM_SIGNATURE_FIELD as PM
from app.services.payroll_pdf import render_summary
from tests.support.identifiers import make_id_number, make_uscc
from tests.unit.test_payroll_pdf import make_lines, make_summary

PM_ID = make_id_number(seq=7)
USCC = make_uscc(3)
EXPECTED = [(PM, PM_ID), (ENT, USCC)]


@pytest.fixture(scope="module")
def ca():
    return demo_ca.create_ca()


@pytest.fixture(scope="module")
def roots(ca):
    return [ca.cert_pem]


@pytest.fixture(scope="module")
def pm_p12(ca):
    return demo_ca.issue_person(ca, "王建国", PM_ID, "pm-secret")


@pytest.fixture(scope="module")
def ent_p12(ca):
    return demo_ca.issue_enterprise(ca, "上海浦江建设集团有限公司", USCC, "ent-secret")


@pytest.fixture(scope="module")
def unsigned():
    return render_summary(make_summary(make_lines(12)))


@pytest.fixture(scope="module")
def pm_signed(unsigned, pm_p12, roots):
    return signing.sign(unsigned, PM, pm_p12, "pm-secret", PM_ID, roots)


@pytest.fixture(scope="module")
def both_signed(pm_signed, ent_p12, roots):
    return signing.sign(pm_signed, ENT, ent_p12, "ent-secret", USCC, roots)


def refusal(excinfo) -> str:
    assert excinfo.value.field == "certificate"
    return excinfo.value.message


def test_pm_then_enterprise_signatures_both_validate(both_signed, pm_signed, roots):
    assert both_signed.startswith(pm_signed)  # the second signature is an incremental update
    report = signing.validate(both_signed, roots, EXPECTED)
    assert report.ok, report
    pm, ent = report.signatures
    assert (pm.signer_name, pm.signer_serial) == ("王建国", PM_ID)
    assert (ent.signer_name, ent.signer_serial) == ("上海浦江建设集团有限公司", USCC)
    assert ent.coverage == "ENTIRE_FILE"  # the last signature covers the whole file
    assert pm.coverage == "ENTIRE_REVISION" and pm.modification_level == "FORM_FILLING"
    assert pm.signed_at is not None


def test_after_the_pm_alone_the_enterprise_signature_is_reported_missing(pm_signed, roots):
    report = signing.validate(pm_signed, roots, EXPECTED)
    assert not report.ok
    assert report.signatures[0].ok and report.signatures[1].problems == (signing.MISSING,)


def test_the_uscc_may_be_carried_as_organization_identifier(ca, pm_signed, roots):
    p12 = demo_ca.issue_enterprise(ca, "上海浦江建设集团有限公司", f"NTRCN-{USCC}", "x",
                                   as_organization_identifier=True)
    signed = signing.sign(pm_signed, ENT, p12, "x", USCC, roots)
    assert signing.validate(signed, roots, EXPECTED).ok


def test_a_certificate_from_an_untrusted_ca_is_refused(unsigned, roots):
    stranger = demo_ca.create_ca("别的CA")
    p12 = demo_ca.issue_person(stranger, "王建国", PM_ID, "pw")
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(unsigned, PM, p12, "pw", PM_ID, roots)
    assert refusal(excinfo) == signing.UNTRUSTED


def test_an_expired_certificate_is_refused(ca, unsigned, roots):
    p12 = demo_ca.issue_person(ca, "王建国", PM_ID, "pw", years=1)
    with time_machine.travel(timedelta(days=400)), pytest.raises(RuleViolation) as excinfo:
        signing.sign(unsigned, PM, p12, "pw", PM_ID, roots)
    assert refusal(excinfo) == signing.UNTRUSTED


def test_the_pm_certificate_where_the_enterprise_is_expected_is_refused(pm_signed, pm_p12, roots):
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(pm_signed, ENT, pm_p12, "pm-secret", USCC, roots)
    assert refusal(excinfo) == signing.WRONG_HOLDER


def test_a_wrong_password_is_refused(unsigned, pm_p12, roots):
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(unsigned, PM, pm_p12, "guess", PM_ID, roots)
    assert refusal(excinfo) == signing.BAD_PASSWORD


@pytest.mark.parametrize("upload", [b"", b"not a certificate at all", b"%PDF-1.7\n", "pem"])
def test_an_upload_that_is_not_pkcs12_is_refused(upload, unsigned, ca, roots):
    upload = ca.cert_pem if upload == "pem" else upload
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(unsigned, PM, upload, "pw", PM_ID, roots)
    assert refusal(excinfo) == signing.NOT_PKCS12


def certificate_with_subject(ca, rdns, password="pw") -> bytes:
    """PKCS#12 from the demo CA, built as demo_ca builds its own, for any subject: each
    item one RDN (a list of attributes is one multi-valued RDN) — what a careless or
    hostile CA might issue."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.RelativeDistinguishedName(r if isinstance(r, list) else [r]) for r in rdns]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(b"signer", key, cert, [ca_cert],
                                                 serialization.BestAvailableEncryption(password.encode()))


SERIAL, ORG_ID = NameOID.SERIAL_NUMBER, NameOID.ORGANIZATION_IDENTIFIER


@pytest.mark.parametrize("identities", [
    [x509.NameAttribute(SERIAL, PM_ID), x509.NameAttribute(SERIAL, make_id_number(seq=8))],  # the signer's and another's
    [x509.NameAttribute(SERIAL, make_id_number(seq=8)), x509.NameAttribute(SERIAL, PM_ID)],  # in either order
    [[x509.NameAttribute(SERIAL, PM_ID), x509.NameAttribute(SERIAL, make_id_number(seq=8))]],  # one multi-valued RDN
    [x509.NameAttribute(SERIAL, PM_ID), x509.NameAttribute(SERIAL, PM_ID)],  # even the same value twice
])
def test_a_certificate_with_several_serial_numbers_is_refused(ca, unsigned, roots, identities):
    p12 = certificate_with_subject(ca, [x509.NameAttribute(NameOID.COMMON_NAME, "王建国"), *identities])
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(unsigned, PM, p12, "pw", PM_ID, roots)
    assert refusal(excinfo) == signing.SEVERAL_IDENTITIES


def test_a_certificate_with_several_organization_identifiers_is_refused(ca, pm_signed, roots):
    p12 = certificate_with_subject(ca, [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "上海浦江建设集团有限公司"),
                                        x509.NameAttribute(ORG_ID, f"NTRCN-{USCC}"),
                                        x509.NameAttribute(ORG_ID, f"NTRCN-{make_uscc(4)}")])
    with pytest.raises(RuleViolation) as excinfo:
        signing.sign(pm_signed, ENT, p12, "pw", USCC, roots)
    assert refusal(excinfo) == signing.SEVERAL_IDENTITIES


def test_one_serial_number_beside_an_organization_identifier_is_still_one_holder(ca, pm_signed, roots):
    p12 = certificate_with_subject(ca, [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "上海浦江建设集团有限公司"),
                                        x509.NameAttribute(SERIAL, USCC), x509.NameAttribute(ORG_ID, f"NTRCN-{USCC}")])
    assert signing.validate(signing.sign(pm_signed, ENT, p12, "pw", USCC, roots), roots, EXPECTED).ok


def test_a_signed_field_cannot_be_signed_again(pm_signed, pm_p12, roots):
    with pytest.raises(Conflict):
        signing.sign(pm_signed, PM, pm_p12, "pm-secret", PM_ID, roots)


def test_bytes_appended_after_the_last_signature_fail_validation(both_signed, roots):
    report = signing.validate(both_signed + b"\n% one more line\n", roots, EXPECTED)
    assert not report.ok
    assert signing.NOT_WHOLE_FILE in report.problems
    assert signing.NOT_WHOLE_FILE in report.signatures[1].problems


def test_a_content_change_between_the_signatures_fails_validation(pm_signed, ent_p12, roots):
    writer = IncrementalPdfFileWriter(BytesIO(pm_signed))
    # paint over the first page: an incremental update that is not a signature
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 0 0 800 80 re f")))
    tampered = BytesIO()
    writer.write(tampered)
    signed = signing.sign(tampered.getvalue(), ENT, ent_p12, "ent-secret", USCC, roots)
    report = signing.validate(signed, roots, EXPECTED)
    assert not report.ok
    assert signing.MODIFIED_AFTER in report.signatures[0].problems
    assert report.signatures[1].ok  # the enterprise signed what it saw


def test_a_byte_changed_inside_the_signed_range_fails_validation(both_signed, roots):
    at = both_signed.index(b"/Producer")
    tampered = both_signed[:at] + b"/Producex" + both_signed[at + 9:]
    report = signing.validate(tampered, roots, EXPECTED)
    assert not report.ok
    assert all(signing.NOT_INTACT in s.problems for s in report.signatures)


def test_signatures_validated_against_another_ca_are_untrusted(both_signed):
    other_root = demo_ca.create_ca("别的CA").cert_pem
    report = signing.validate(both_signed, [other_root], EXPECTED)
    assert not report.ok
    assert all(signing.UNTRUSTED_SIGNER in s.problems for s in report.signatures)


def test_a_signature_by_someone_else_than_expected_fails_validation(both_signed, roots):
    report = signing.validate(both_signed, roots, [(PM, make_id_number(seq=8)), (ENT, USCC)])
    assert report.signatures[0].problems == (signing.WRONG_SIGNER,)
    assert not report.ok


def test_a_file_that_is_not_a_pdf_is_reported_unreadable(roots):
    assert signing.validate(b"garbage", roots, EXPECTED).problems == (signing.UNREADABLE,)


def test_trust_roots_are_read_from_the_configured_files(tmp_path, ca):
    path = tmp_path / "ca.pem"
    path.write_bytes(ca.cert_pem)
    assert signing.trust_roots_from_config({"SIGNING_TRUST_ROOTS": [str(path)]}) == [ca.cert_pem]
    assert signing.trust_roots_from_config({}) == []
    with pytest.raises(RuntimeError, match="absent.pem"):
        signing.trust_roots_from_config({"SIGNING_TRUST_ROOTS": [str(tmp_path / "absent.pem")]})


def test_the_module_is_a_signer():
    signer: signing.Signer = signing  # a replacement (an SM2 CA) provides the same two functions
    assert callable(signer.sign) and callable(signer.validate)


def test_signing_and_validation_work_inside_a_running_event_loop(unsigned, pm_p12, roots):
    """An async server or Playwright's sync API keeps an event loop running in the thread."""
    import asyncio

    async def inside_a_loop():
        signed = signing.sign(unsigned, PM, pm_p12, "pm-secret", PM_ID, roots)
        return signing.validate(signed, roots, EXPECTED[:1])

    report = asyncio.run(inside_a_loop())
    assert report.ok, report
