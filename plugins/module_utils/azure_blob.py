# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few Azure Blob Storage calls the location modules make (check an account key, find and create a container),
signed with the account's Shared Key, on the standard library: the Azure SDK is a large dependency for three calls.
The key never leaves this process except as the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.error
from email.utils import formatdate
from urllib.parse import quote, urlsplit

from ansible.module_utils.urls import open_url

from .s3_errors import BadCredentials, EndpointError, S3ModuleError, ValidationError

API_VERSION = "2021-08-06"
# Azure's container rules: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit.
CONTAINER_RE = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


def container_name_problems(name):
    return [] if CONTAINER_RE.match(name) else [
        "Azure containers are 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter "
        "or digit"]


def default_endpoint(account):
    return "https://%s.blob.core.windows.net/" % account


class AzureBlob:
    def __init__(self, account, key, endpoint=None, ca_bundle=None, timeout=10):
        self.account = account
        try:
            self.key = base64.b64decode(key or "", validate=True)
        except ValueError:
            raise ValidationError("azure.account_key is not a base64 account key") from None
        self.endpoint = (endpoint or default_endpoint(account)).rstrip("/")
        self.ca_bundle = ca_bundle
        self.timeout = timeout

    def _sign(self, method, path, query, headers):
        canonical_headers = "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers) if k.startswith("x-ms-"))
        resource = "/%s%s" % (self.account, path or "/")
        resource += "".join("\n%s:%s" % (k, query[k]) for k in sorted(query))
        length = headers.get("content-length", "")
        to_sign = "\n".join([method, "", "", "" if length in ("", "0") else length, "", headers.get("content-type", ""),
                             "", "", "", "", "", ""]) + "\n" + canonical_headers + resource
        digest = hmac.new(self.key, to_sign.encode("utf-8"), hashlib.sha256).digest()
        return "SharedKey %s:%s" % (self.account, base64.b64encode(digest).decode())

    def request(self, method, container, query, operation):
        """(status, body) of one signed call; 2xx and 404 are answers, the rest typed errors."""
        base = urlsplit(self.endpoint)
        path = (base.path or "") + "/" + (quote(container) if container else "")
        query = dict(query)
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": API_VERSION, "content-length": "0"}
        if method == "PUT":  # urllib would add a form content type to a body, which the signature must cover
            headers["content-type"] = "application/octet-stream"
        headers["authorization"] = self._sign(method, path, query, headers)
        url = "%s://%s%s?%s" % (base.scheme, base.netloc, path, "&".join("%s=%s" % (k, quote(v)) for k, v in query.items()))
        try:
            resp = open_url(url, method=method, headers=headers, data=b"" if method == "PUT" else None,
                            timeout=self.timeout, ca_path=self.ca_bundle, follow_redirects="none")
            return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            found = re.search(r"<Code>([^<]+)</Code>", body)
            code = found.group(1) if found else str(exc.code)
            if exc.code == 404:
                return 404, body.encode()
            if exc.code == 403 or code in ("AuthenticationFailed", "AuthorizationFailure"):
                raise BadCredentials("%s was refused by %s: the account name or key is not valid (%s)"
                                     % (operation, self.endpoint, code), code, operation) from None
            raise S3ModuleError("%s failed at %s: HTTP %d %s" % (operation, self.endpoint, exc.code, code),
                                code, operation) from None
        except (urllib.error.URLError, OSError) as exc:
            raise EndpointError("%s: cannot reach %s: %s" % (operation, self.endpoint, getattr(exc, "reason", exc)),
                                operation=operation) from None

    def check(self):
        self.request("GET", "", {"comp": "list", "maxresults": "1"}, "List Containers (checking the location's key)")

    def container_exists(self, name):
        status, dummy = self.request("GET", name, {"restype": "container"}, "Get Container Properties")
        return status != 404

    def create_container(self, name):
        self.request("PUT", name, {"restype": "container"}, "Create Container")
