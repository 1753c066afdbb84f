# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GCS's pure logic: Google's bucket naming rules, the emulator variable as the engine reads it, the service account
key checks and the signed OAuth assertion (verified with the key's public half). The calls themselves run against
fake-gcs-server in the location integration target."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ansible_collections.metalstore.platform.plugins.module_utils import gcs_storage as g
from ansible_collections.metalstore.platform.plugins.module_utils import remote_location as rl
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import ValidationError


@pytest.mark.parametrize("name", ["abc", "my_bucket-1", "a.b.c", "x" * 63, ".".join(["y" * 63] * 3)])
def test_names_google_accepts(name):
    assert g.bucket_name_problems(name) == []


@pytest.mark.parametrize("name, part", [
    ("ab", "3-63 characters"), ("x" * 64, "3-63 characters"), ("Upper", "lowercase letters"),
    ("-dash", "starting and ending"), ("dot.", "starting and ending"), ("a" * 64 + ".b", "at most 63"),
    ("192.168.1.1", "IP address"), ("goog-x", "'goog'"), ("my-google-bucket", "'google'"),
])
def test_names_google_rejects(name, part):
    assert any(part in p for p in g.bucket_name_problems(name)), g.bucket_name_problems(name)


@pytest.mark.parametrize("value, expected", [
    ("", None), ("127.0.0.1:4443", "http://127.0.0.1:4443"), ("https://gcs.example:443/", "https://gcs.example:443"),
])
def test_emulator_host_as_the_engine_reads_it(monkeypatch, value, expected):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", value)
    assert g.emulator_host() == expected


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def account(key, **extra):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return dict({"type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com", "private_key": pem,
                 "private_key_id": "k1", "token_uri": "https://oauth2.googleapis.com/token"}, **extra)


def unb64(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_signed_assertion_verifies_with_the_public_key():
    key = rsa_key()
    jwt = g.signed_jwt(account(key), 1000)
    header, claims, signature = jwt.split(".")
    assert json.loads(unb64(header)) == {"alg": "RS256", "typ": "JWT", "kid": "k1"}
    assert json.loads(unb64(claims)) == {"iss": "sa@p.iam.gserviceaccount.com", "scope": g.SCOPE,
                                         "aud": "https://oauth2.googleapis.com/token", "iat": 1000, "exp": 4600}
    key.public_key().verify(unb64(signature), ("%s.%s" % (header, claims)).encode(), padding.PKCS1v15(),
                            hashes.SHA256())


def test_a_key_that_is_no_rsa_pem_is_refused():
    with pytest.raises(ValidationError, match="not an RSA private key"):
        g.signed_jwt(account(rsa_key(), private_key="-----BEGIN PRIVATE KEY-----\nnope\n"), 0)


@pytest.mark.parametrize("content, message", [
    ("not json", "is not JSON"),
    (json.dumps({"type": "authorized_user", "client_email": "a", "private_key": "b", "token_uri": "c"}),
     "not a service account key"),
    (json.dumps({"type": "service_account", "client_email": "a"}), "private_key, token_uri"),
])
def test_key_files_that_are_no_service_account_keys(tmp_path, content, message):
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        g.read_service_account(str(path))


def test_a_missing_key_file_says_where_it_must_be(tmp_path):
    with pytest.raises(ValidationError, match="must exist on the host the module runs on"):
        g.read_service_account(str(tmp_path / "absent.json"))


KEY = account(rsa_key())


@pytest.mark.parametrize("gcs, message", [
    ({"project_id": "Bad_Project"}, "Google project ids"),
    ({"project_id": "short"}, "Google project ids"),
    ({"project_id": "site-backups-1", "credentials_file": "rel.json"}, "not an absolute path"),
    ({"project_id": "site-backups-1", "credentials_file": "/k.json", "credentials": KEY}, "both set"),
    ({"project_id": "site-backups-1", "credentials": "{not json"}, "gcs.credentials is not JSON"),
    ({"project_id": "site-backups-1", "credentials": dict(KEY, type="user")}, "not a service account key"),
    ({"project_id": "site-backups-1", "credentials": dict(KEY, token_uri="http://127.0.0.1:9/token")},
     "token_uri: endpoint .* private, loopback"),
])
def test_location_input_refused(gcs, message):
    with pytest.raises(ValidationError, match=message):
        rl.validate({"name": "gcs-eu", "type": "gcs", "gcs": gcs})


@pytest.mark.parametrize("gcs, allow_private", [
    ({"project_id": "site-backups-1", "credentials_file": "/k.json"}, False),
    # (a global address: this machine resolves no public names)
    ({"project_id": "site-backups-1", "credentials": json.dumps(dict(KEY, token_uri="https://142.250.0.1/token"))},
     False),
    ({"project_id": "site-backups-1", "credentials": dict(KEY, token_uri="http://127.0.0.1:9/token")}, True),
])
def test_location_input_accepted(gcs, allow_private):
    rl.validate({"name": "gcs-eu", "type": "gcs", "gcs": gcs, "allow_private_endpoint": allow_private})


def test_an_inline_key_is_one_text_however_written():
    """Text or parsed, spaced or not, keys in any order: one canonical text, which the admin shell can carry in
    single quotes (no raw newline, no quote of that kind) and which reads back as the same key."""
    odd = dict(KEY, client_email="o'brien@p.iam.gserviceaccount.com")
    texts = {g.canonical_credentials(g.parse_credentials(v))
             for v in (odd, json.dumps(odd), json.dumps(odd, indent=4), json.dumps(dict(reversed(list(odd.items())))))}
    assert len(texts) == 1
    text = texts.pop()
    assert "'" not in text and "\n" not in text and "\r" not in text
    assert json.loads(text) == odd
    assert rl.stored_credentials(text) == text
    assert rl.stored_credentials("/etc/k.json") is None and rl.stored_credentials("") is None


def test_the_listing_never_carries_an_inline_key():
    listing = json.dumps({"type": "gcs", "name": "gcsXeu", "gcsGoogleApplicationCredentials": json.dumps(KEY),
                          "gcsProjectId": "site-backups-1"}, indent=2)
    conf = rl.parse_listing(listing)["gcsXeu"]
    assert "PRIVATE KEY" not in json.dumps(conf) and conf["inlineCredentials"] is True
    assert rl.public(conf) == {"name": "gcs-eu", "engine_name": "gcsXeu", "type": "gcs",
                               "project_id": "site-backups-1", "credentials_file": ""}


def test_a_semicolon_in_a_key_is_not_a_command_separator():
    text = g.canonical_credentials(dict(KEY, client_id="a;b"))
    assert ";" not in text and json.loads(text)["client_id"] == "a;b"


@pytest.mark.parametrize("given", [KEY, json.dumps(KEY, indent=2)])
def test_what_of_an_inline_key_is_masked(given):
    """Every rendering of the private key is masked (each of its lines too: an escaped rendering joins them
    differently); the key's public values are not, so that project, email and URLs stay readable."""
    secret, public = g.key_parts(given)
    lines = KEY["private_key"].splitlines()
    assert KEY["private_key"] in secret and g.canonical_credentials(KEY) in secret
    assert all(line in secret for line in lines if len(line) >= 16)
    assert public == {KEY["type"], KEY["client_email"], KEY["token_uri"], KEY["private_key_id"]}
    assert isinstance(given, dict) or given in secret
    assert g.key_parts("not json") == ({"not json"}, set())
