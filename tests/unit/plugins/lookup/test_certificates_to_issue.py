# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificates_to_issue judges real certificates made here with cryptography (as community.crypto makes them)."""

from __future__ import annotations

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.metalstore.platform.plugins.lookup.certificates_to_issue import drift

SPEC = {"name": "s3", "cn": "seaweedfs-s3", "sans": ["DNS:seaweedfs-s3.ns.svc", "IP:127.0.0.1"],
        "usage": ["serverAuth", "clientAuth"]}
NOW = datetime.datetime.now(datetime.timezone.utc)


def _ca(name="Site CA"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=9))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _issue(directory, ca, ca_key, sans=("seaweedfs-s3.ns.svc",), ips=("127.0.0.1",), key=None, extra=None):
    """As community.crypto's ownca provider issues it: the request's extensions (non-critical) and key identifiers."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seaweedfs-s3")]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(2)
        .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=9))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]
                                                   + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(x509.KeyUsage(digital_signature=True, key_agreement=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value), False))
    if extra is not None:
        builder = builder.add_extension(extra, False)
    cert = builder.sign(ca_key, hashes.SHA256())
    for name, data, mode in (("s3.key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()), 0o600),
                             ("s3.crt", cert.public_bytes(serialization.Encoding.PEM), 0o644)):
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
    return key


def test_a_matching_certificate_is_left_alone(tmp_path):
    ca, ca_key = _ca()
    _issue(str(tmp_path), ca, ca_key)
    assert drift(SPEC, str(tmp_path), ca) == ""


def test_every_difference_is_found(tmp_path):
    d = str(tmp_path)
    ca, ca_key = _ca()
    assert drift(SPEC, d, ca) == "private key missing or unreadable"
    key = _issue(d, ca, ca_key, sans=("other.ns.svc",))
    assert drift(SPEC, d, ca) == "subjectAltNames"
    assert drift(dict(SPEC, cn="seaweedfs-filer"), d, ca) == "subject"
    _issue(d, ca, ca_key, key=key)
    assert drift(dict(SPEC, usage=["serverAuth"]), d, ca) == "extended key usage"
    os.chmod(os.path.join(d, "s3.crt"), 0o600)
    assert drift(SPEC, d, ca) == "certificate mode"
    other_ca, other_key = _ca("Another CA")
    _issue(d, other_ca, other_key, key=key)
    assert drift(SPEC, d, ca) == "issuer"
    same_name = _ca()[0]  # same subject, another key: the signature tells them apart
    _issue(d, same_name, other_key, key=key)
    assert drift(SPEC, d, ca) == "not signed by the CA"
    _issue(d, ca, ca_key)  # a certificate for a new key, the old key kept
    with open(os.path.join(d, "s3.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    assert drift(SPEC, d, ca) == "certificate is not for the private key"


def test_order_of_names_and_extra_extensions_count(tmp_path):
    d = str(tmp_path)
    ca, ca_key = _ca()
    _issue(d, ca, ca_key)
    assert drift(dict(SPEC, sans=list(reversed(SPEC["sans"]))), d, ca) == "subjectAltNames"
    _issue(d, ca, ca_key, extra=x509.BasicConstraints(ca=True, path_length=None))
    assert drift(SPEC, d, ca) == "extensions"
