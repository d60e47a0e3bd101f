"""A demonstration certificate authority for payroll signatures (demo data and tests).

Real deployments use certificates from a licensed CA; this one lets `flask demo-data`
and the tests sign payrolls without one. Subjects follow what `signing` checks: a
person's certificate carries the resident ID number as ``serialNumber``, an
enterprise's the USCC as ``serialNumber`` (or ``organizationIdentifier``).

EC P-256 keys: generated in microseconds and accepted by pyHanko, so tests can make
as many certificates as they like. Everything is returned as bytes (PEM, PKCS#12).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

DEFAULT_CA_NAME = "实名制演示CA"


@dataclass(frozen=True)
class DemoCA:
    cert_pem: bytes  # what SIGNING_TRUST_ROOTS points at
    key_pem: bytes  # unencrypted PKCS#8: a demo CA only, never a real one


def create_ca(common_name: str = DEFAULT_CA_NAME, *, years: int = 10) -> DemoCA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    cert = (
        _builder(name, name, key.public_key(), years)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DemoCA(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def issue_person(ca: DemoCA, name: str, id_number: str, password: str, *, years: int = 3) -> bytes:
    """PKCS#12 for a natural person: CN=name, serialNumber=resident ID number."""
    subject = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, id_number),
    ]
    return _issue(ca, subject, password, years)


def issue_enterprise(
    ca: DemoCA, name: str, uscc: str, password: str, *, years: int = 3,
    as_organization_identifier: bool = False,
) -> bytes:
    """PKCS#12 for an enterprise: O=CN=name and the USCC as serialNumber, or as
    organizationIdentifier (the attribute some CAs use for legal persons)."""
    id_oid = NameOID.ORGANIZATION_IDENTIFIER if as_organization_identifier else NameOID.SERIAL_NUMBER
    subject = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(id_oid, uscc),
    ]
    return _issue(ca, subject, password, years)


def _issue(ca: DemoCA, subject: list[x509.NameAttribute], password: str, years: int) -> bytes:
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(x509.Name(subject), ca_cert.subject, key.public_key(), years)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # content_commitment is non-repudiation, which pyHanko requires of PDF signers
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    friendly = subject[1].value.encode()
    return pkcs12.serialize_key_and_certificates(
        friendly, key, cert, [ca_cert], serialization.BestAvailableEncryption(password.encode())
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key, years: int) -> x509.CertificateBuilder:
    # a day of slack before "now" so a clock a little behind still accepts the certificate
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=not cert_sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )
