# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: certificates_to_issue
version_added: 0.3.0
short_description: The certificates of a CA-signed set that are missing or no longer match their specification
description:
  - Reads, on the controller, each certificate C(<directory>/<name>.crt) and its key C(<directory>/<name>.key) and
    returns the specifications whose files are missing, unreadable, or differ from what
    M(community.crypto.openssl_privatekey), M(community.crypto.openssl_csr_pipe) and M(community.crypto.x509_certificate)
    (provider C(ownca)) would produce - an ECC key on O(curve) with mode 0600; a certificate (mode 0644) for that key
    with exactly the common name, subjectAltNames, extended key usages and O(key_usage), issued and signed by the
    given CA.
  - Roles call those modules only for what this returns, instead of three module runs per certificate on every run.
    It is at least as strict as the modules, so a certificate it accepts is one they would leave as is.
  - Like M(community.crypto.x509_certificate) with its default C(ignore_timestamps), validity dates are not judged.
  - Besides the names and usages it requires exactly the extensions the modules make (subjectAltName, extended key
    usage, key usage, both key identifiers, none critical) and the authority key identifier of the CA.
options:
  _terms:
    description: Certificate specifications - dicts with C(name), C(cn), C(sans) (C(DNS:...) or C(IP:...)) and C(usage)
      (extended key usages such as C(serverAuth), C(clientAuth)); a list of them is taken as is.
    required: true
    type: list
    elements: raw
  directory:
    description: Directory holding C(<name>.key) and C(<name>.crt).
    type: path
    required: true
  ca:
    description: The issuing CA's certificate (PEM).
    type: path
    required: true
  curve:
    description: The private keys' elliptic curve.
    type: str
    default: secp256r1
  key_usage:
    description: The certificates' key usages (community.crypto names).
    type: list
    elements: str
    default: [digitalSignature, keyAgreement]
author:
  - MetalStore Engineers (@metalstore)
"""

EXAMPLES = r"""
- name: Which certificates to (re)issue
  ansible.builtin.set_fact:
    to_issue: "{{ query('metalstore.platform.certificates_to_issue', certs, directory=tls_dir, ca=pki_dir ~ '/ca.crt') }}"
"""

RETURN = r"""
_list:
  description: The specifications to (re)issue, each with C(reason) (what is missing or differs).
  type: list
  elements: dict
"""

import ipaddress
import os
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

USAGES = {"serverAuth": "SERVER_AUTH", "clientAuth": "CLIENT_AUTH"}
KEY_USAGES = {"digitalSignature": "digital_signature", "keyAgreement": "key_agreement",
              "keyEncipherment": "key_encipherment", "dataEncipherment": "data_encipherment",
              "nonRepudiation": "content_commitment", "keyCertSign": "key_cert_sign", "cRLSign": "crl_sign"}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# What community.crypto's ownca provider puts into such a certificate: the request's three extensions (non-critical,
# the modules' default), plus the key identifiers. Anything else, or another criticality, and the module reissues.
EXTENSIONS = {x509.SubjectAlternativeName, x509.ExtendedKeyUsage, x509.KeyUsage, x509.SubjectKeyIdentifier,
              x509.AuthorityKeyIdentifier} if HAS_CRYPTOGRAPHY else set()


def _sans(cert):
    """The subjectAltNames in their order, as DNS:... / IP:... strings."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [("IP:" + str(n.value)) if isinstance(n, x509.IPAddress) else ("DNS:" + n.value) if isinstance(n, x509.DNSName)
            else repr(n) for n in ext]


def _wanted_sans(sans):
    out = []
    for san in sans:
        kind, value = (str(san).split(":", 1) + [""])[:2]
        out.append("IP:" + str(ipaddress.ip_address(value)) if kind.upper() == "IP" else kind.upper() + ":" + value)
    return out


def _extensions_as_issued(cert, ca):
    """Exactly the extensions the module makes, none critical, and the authority key identifier the CA's."""
    if {type(e.value) for e in cert.extensions} != EXTENSIONS or len(cert.extensions) != len(EXTENSIONS):
        return False
    if any(e.critical for e in cert.extensions):
        return False
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    try:
        ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca.public_key()).digest
    return aki == ca_ski


def _signed_by(cert, ca):
    """Whether CA's key signed CERT (cryptography < 40 has no verify_directly_issued_by)."""
    key = ca.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _ekus(cert):
    try:
        return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return set()


def _key_usage_ok(cert, wanted):
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    want = {KEY_USAGES.get(u, u) for u in wanted}
    return all(getattr(ku, attr) == (attr in want) for attr in KEY_USAGES.values())


def drift(spec, directory, ca, curve="secp256r1", key_usage=("digitalSignature", "keyAgreement")):
    """What is missing or differs for one certificate specification ('' when nothing)."""
    key_path, crt_path = (os.path.join(directory, spec["name"] + ext) for ext in (".key", ".crt"))
    try:
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    except (OSError, ValueError, TypeError):
        return "private key missing or unreadable"
    if not (isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == curve):
        return "private key is not ECC " + curve
    if _mode(key_path) != 0o600:
        return "private key mode"
    try:
        with open(crt_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError):
        return "certificate missing or unreadable"
    if _mode(crt_path) != 0o644:
        return "certificate mode"
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if (cert.public_key().public_bytes(serialization.Encoding.DER, spki)
            != key.public_key().public_bytes(serialization.Encoding.DER, spki)):
        return "certificate is not for the private key"
    if [(a.oid, a.value) for a in cert.subject] != [(NameOID.COMMON_NAME, spec["cn"])]:
        return "subject"
    if _sans(cert) != _wanted_sans(spec["sans"]):
        return "subjectAltNames"  # in order: the module compares the extension, whose order counts
    if _ekus(cert) != {getattr(ExtendedKeyUsageOID, USAGES.get(u, u)) for u in spec["usage"]}:
        return "extended key usage"
    if not _key_usage_ok(cert, key_usage):
        return "key usage"
    if cert.issuer != ca.subject:
        return "issuer"
    if not _signed_by(cert, ca):
        return "not signed by the CA"
    if not _extensions_as_issued(cert, ca):
        return "extensions"
    return ""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if not HAS_CRYPTOGRAPHY:
            raise AnsibleLookupError("certificates_to_issue needs the Python library cryptography on the controller")
        self.set_options(var_options=variables, direct=kwargs)
        specs = [t for term in terms for t in (term if isinstance(term, list) else [term])]
        for spec in specs:
            if not isinstance(spec, dict) or not {"name", "cn", "sans", "usage"} <= set(spec):
                raise AnsibleLookupError("certificates_to_issue: %r is not a dict with name, cn, sans and usage" % (spec,))
        try:
            with open(self.get_option("ca"), "rb") as f:
                ca = x509.load_pem_x509_certificate(f.read())
        except (OSError, ValueError) as e:
            raise AnsibleLookupError("certificates_to_issue: cannot read the CA certificate %s: %s" % (self.get_option("ca"), e))
        out = []
        for spec in specs:
            reason = drift(spec, self.get_option("directory"), ca, self.get_option("curve"), self.get_option("key_usage"))
            if reason:
                out.append(dict(spec, reason=reason))
        return out
