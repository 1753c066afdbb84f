# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few Google Cloud Storage calls the location modules make (check a location's project and credentials, find
and create a bucket), over GCS's JSON API on the standard library: the Google SDK is a large dependency for three
calls.

Where the calls go and how they authenticate is decided as the engine's own GCS client (SeaweedFS 4.48) decides it,
so the module and the engine always talk to the same cloud the same way: to STORAGE_EMULATOR_HOST when it is set (an
emulator, or another endpoint of the JSON API), else to storage.googleapis.com; with an OAuth token for the
location's service account key when it has one (a JWT signed with the key, exchanged at the key's token_uri; needs
the Python cryptography package), else with no credentials (an emulator only). The key never leaves this process
except as the signature."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
from urllib.parse import quote, urlencode

from ansible.module_utils.urls import open_url

from .s3_errors import AccessDenied, BadCredentials, EndpointError, S3ModuleError, ValidationError

GOOGLE = "https://storage.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
# Google's bucket rules (cloud.google.com/storage/docs/buckets#naming): lowercase letters, digits, '-', '_' and
# '.'; starting and ending with a letter or digit; 3-63 characters, or up to 222 with dots and every dot-separated
# part at most 63; not an IPv4 address; not starting with "goog" nor containing "google".
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def bucket_name_problems(name):
    problems = []
    limit = 222 if "." in name else 63
    if not 3 <= len(name) <= limit:
        problems.append("GCS bucket names are 3-63 characters (up to 222 with dots)")
    if not BUCKET_RE.match(name):
        problems.append("GCS bucket names are lowercase letters, digits, '-', '_' and '.', starting and ending with "
                        "a letter or digit")
    if any(len(part) > 63 for part in name.split(".")):
        problems.append("each dot-separated part of a GCS bucket name is at most 63 characters")
    if IPV4_RE.match(name):
        problems.append("a GCS bucket name cannot be an IP address")
    if name.startswith("goog") or "google" in name:
        problems.append("a GCS bucket name cannot start with 'goog' or contain 'google'")
    return problems


def emulator_host():
    """The engine's rule: STORAGE_EMULATOR_HOST, a host:port or a URL (http assumed without a scheme)."""
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").strip().rstrip("/")
    if host and "://" not in host:
        host = "http://" + host
    return host or None


def service_account(key, where):
    """key (a dict) checked for what the token exchange needs; where: what it came from, for the message."""
    missing = [k for k in ("client_email", "private_key", "token_uri") if not isinstance(key, dict) or not key.get(k)]
    if missing or key.get("type") != "service_account":
        raise ValidationError("%s is not a service account key (type service_account with %s)"
                              % (where, ", ".join(missing or ["client_email", "private_key", "token_uri"])))
    return key


def read_service_account(path):
    """The service account key at path, checked for what the token exchange needs."""
    try:
        with open(path, encoding="utf-8") as f:
            key = json.load(f)
    except OSError as exc:
        raise ValidationError("gcs.credentials_file %s cannot be read here (%s): the module checks the credentials "
                              "with it, so it must exist on the host the module runs on as in the engine's processes"
                              % (path, exc.strerror)) from None
    except ValueError:
        raise ValidationError("gcs.credentials_file %s is not JSON (a service account key file)" % path) from None
    return service_account(key, "gcs.credentials_file %s" % path)


def parse_credentials(value):
    """A service account key given inline (its JSON text, or the parsed document), checked."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError("gcs.credentials is not JSON (the content of a service account key file)") from None
    return service_account(value, "gcs.credentials")


def canonical_credentials(key):
    """One text for a key however it was written, which the engine's admin shell carries in single quotes: compact
    JSON with sorted keys, no raw newline (JSON escapes them), no single quote and no ';' (the shell cuts a line into
    commands at each ';' before it reads quotes): both written as JSON escapes."""
    return (json.dumps(key, sort_keys=True, separators=(",", ":"))
            .replace("'", "\\u0027").replace(";", "\\u003b"))


def key_parts(value):
    """(secret, public): the strings of an inline key that must never be shown - the key as given and as stored, its
    private key and each line of it - and its other values (email, project, URLs, the key's id), which are not.
    Ansible masks every value of a no_log dict, and misses the private key inside an escaped rendering of it."""
    secret = {value} if isinstance(value, str) else set()
    try:
        key = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return secret, set()
    if not isinstance(key, dict):
        return secret, set()
    private = str(key.get("private_key") or "")
    secret.update(s for s in [private, canonical_credentials(key)]
                  + [line for line in private.splitlines() if len(line) >= 16] if s)
    public = {str(v) for k, v in key.items() if k != "private_key"} - secret
    return secret, public


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(key, now):
    """The OAuth JWT-bearer assertion for a service account key (RFC 7523), signed RS256."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        raise S3ModuleError("GCS credentials need the Python cryptography package on the host the module runs on "
                            "(python3-cryptography)") from None
    header = {"alg": "RS256", "typ": "JWT"}
    if key.get("private_key_id"):
        header["kid"] = key["private_key_id"]
    claims = {"iss": key["client_email"], "scope": SCOPE, "aud": key["token_uri"], "iat": int(now),
              "exp": int(now) + 3600}
    signing_input = "%s.%s" % (_b64(json.dumps(header, separators=(",", ":")).encode()),
                               _b64(json.dumps(claims, separators=(",", ":")).encode()))
    try:
        private = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
        signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, TypeError, AttributeError):
        raise ValidationError("the GCS service account key's private_key is not an RSA private key in PEM") from None
    return signing_input + "." + _b64(signature)


class GcsStorage:
    """credentials: a parsed service account key (a location's inline key), else credentials_file: its path."""

    def __init__(self, project, credentials_file=None, timeout=10, credentials=None):
        self.project = project
        self.endpoint = emulator_host() or GOOGLE
        self.emulated = self.endpoint != GOOGLE
        self.credentials_file = credentials_file
        self.credentials = credentials
        self.timeout = timeout
        self._token = None

    def _key(self):
        if self.credentials is not None:
            return self.credentials
        return read_service_account(self.credentials_file) if self.credentials_file else None

    def _authorization(self, operation):
        # As the engine's client: a key is used wherever the calls go (also to an emulator: the token comes from the
        # key's token_uri); without one, only an emulator is asked, with no credentials.
        if self._token is None:
            key = self._key()
            if key is None:
                if self.emulated:
                    return {}
                raise ValidationError("%s: a GCS location on Google needs its service account key (gcs.credentials)"
                                      % operation)
            body = urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                              "assertion": signed_jwt(key, time.time())}).encode()
            try:
                resp = open_url(key["token_uri"], method="POST", data=body, timeout=self.timeout,
                                headers={"content-type": "application/x-www-form-urlencoded"})
                self._token = json.loads(resp.read())["access_token"]
            except urllib.error.HTTPError as exc:
                raise BadCredentials("%s: the service account key %s was refused by %s (HTTP %d): it is not valid "
                                     "or was deleted" % (operation, key["client_email"], key["token_uri"], exc.code),
                                     str(exc.code), operation) from None
            except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
                raise EndpointError("%s: no token from %s: %s" % (operation, key["token_uri"],
                                                                  getattr(exc, "reason", exc)), operation=operation) from None
        return {"authorization": "Bearer " + self._token}

    def request(self, method, path, query, operation, body=None):
        """(status, parsed JSON) of one call; 2xx and 404 are answers, the rest typed errors."""
        headers = self._authorization(operation)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        url = "%s/storage/v1/%s%s" % (self.endpoint, path, "?" + urlencode(query) if query else "")
        try:
            resp = open_url(url, method=method, headers=headers, data=data, timeout=self.timeout,
                            follow_redirects="none")
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(text)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = text.strip()[:200] or exc.reason
            if exc.code == 404:
                return 404, {}
            if exc.code == 401:
                raise BadCredentials("%s was refused by %s: the credentials are not valid (%s)"
                                     % (operation, self.endpoint, message), "401", operation) from None
            if exc.code == 403:
                raise AccessDenied("%s: the service account may not do this in project %s (%s)"
                                   % (operation, self.project, message), "403", operation) from None
            raise S3ModuleError("%s failed at %s: HTTP %d %s" % (operation, self.endpoint, exc.code, message),
                                str(exc.code), operation) from None
        except (urllib.error.URLError, OSError) as exc:
            raise EndpointError("%s: cannot reach %s: %s" % (operation, self.endpoint, getattr(exc, "reason", exc)),
                                operation=operation) from None

    def check(self):
        """A read-only call in the location's project: credentials, project and reachability at once."""
        status, dummy = self.request("GET", "b", {"project": self.project, "maxResults": "1"},
                                     "List Buckets of project %s (checking the location)" % self.project)
        if status == 404:
            raise ValidationError("GCS project %s does not exist (or the credentials cannot see it)" % self.project)

    def bucket_exists(self, name):
        status, dummy = self.request("GET", "b/" + quote(name, safe=""), {}, "Get Bucket %s" % name)
        return status != 404

    def create_bucket(self, name):
        try:
            self.request("POST", "b", {"project": self.project}, "Insert Bucket %s" % name, body={"name": name})
        except S3ModuleError as err:
            if err.code == "409":
                raise S3ModuleError("GCS bucket %s exists in another project (bucket names are global): choose "
                                    "another name" % name, "409", err.operation) from None
            raise
