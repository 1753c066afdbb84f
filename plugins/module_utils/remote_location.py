# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud locations: SeaweedFS's remote storage configurations, read and written through its admin shell.

The engine has no API for them: `remote.configure` lists them as concatenated JSON documents with the secret
masked, and stores each as a protobuf blob at /etc/remote/<name>.conf in the filer. The secret is compared
against that blob (read with fs.cat, never printed), so a credential changed outside Ansible is seen too and no
second copy of it is kept anywhere. Commands carrying a secret go to the shell on stdin, never on a command line,
and are never echoed in errors."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from urllib.parse import urlsplit

from .azure_blob import container_name_problems
from .bucket_validation import bucket_name_problems
from .gcs_storage import bucket_name_problems as gcs_bucket_name_problems
from .gcs_storage import canonical_credentials, parse_credentials
from .s3_errors import AdminShellError, S3ModuleError, ValidationError

# Users choose names like aws-eu-1; the engine takes letters and digits only. Lowercase names with '-' written as
# 'X' (never in a user's name) keep the mapping one to one and reversible.
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")
ENGINE_NAME_RE = re.compile(r"^[a-z0-9X]+$")
# weed shell splits a command on whitespace; a value with whitespace or quotes would be cut or misread.
SAFE_VALUE_RE = re.compile(r"^[^\s'\"`\\]*$")

# Per type: option -> (the listing's JSON key, the shell flag); the secret: (option, JSON key, flag, protobuf field
# of the stored blob). Field numbers were read from blobs the engine (4.48) wrote; the integration test proves them
# by changing a secret and expecting a change.
TYPES = {
    "s3": {"options": {"endpoint": ("s3Endpoint", "s3.endpoint"), "region": ("s3Region", "s3.region"),
                       "path_style": ("s3ForcePathStyle", "s3.force_path_style"),
                       "storage_class": ("s3StorageClass", "s3.storage_class"),
                       "access_key": ("s3AccessKey", "s3.access_key")},
           "secret": ("secret_key", "s3SecretKey", "s3.secret_key", 5)},
    "azure": {"options": {"account_name": ("azureAccountName", "azure.account_name"),
                          "endpoint": ("azureEndpoint", "azure.endpoint")},
              "secret": ("account_key", "azureAccountKey", "azure.account_key", 16)},
    "gcs": {"options": {"project_id": ("gcsProjectId", "gcs.projectId"),
                        "credentials_file": ("gcsGoogleApplicationCredentials", "gcs.appCredentialsFile")},
            # The key itself, stored inline in the engine's configuration (a path when credentials_file is used):
            # every engine process then reads it from the filer, with no file to place in each of them.
            "secret": ("credentials", "gcsGoogleApplicationCredentials", "gcs.appCredentialsFile", 10)},
}
REQUIRED = {"s3": ("access_key", "secret_key"), "azure": ("account_name", "account_key"), "gcs": ("project_id",)}
AZURE_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
GCS_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


# The location types whose buckets (Azure: containers) the collection makes and names, and each provider's rules.
CLOUD_BUCKET_NAME_PROBLEMS = {"s3": bucket_name_problems, "azure": container_name_problems,
                              "gcs": gcs_bucket_name_problems}


def cloud_bucket_name_problems(kind, name):
    """Why a location type's provider rejects a bucket (an Azure container) name, as one message (None: valid)."""
    problems = CLOUD_BUCKET_NAME_PROBLEMS[kind](name)
    if problems:
        return "%r is a name the cloud rejects for a %s: %s" % (
            name, "container" if kind == "azure" else "bucket", "; ".join(problems))
    return None


def engine_name(name):
    return name.replace("-", "X")


def user_name(engine):
    """The user's name of an engine name the modules made; other names (made by hand) as they are."""
    return engine.replace("X", "-") if ENGINE_NAME_RE.match(engine) else engine


def parse_listing(text):
    """engine name -> configuration, from `remote.configure` output (JSON documents one after another, and a note
    such as 'skipping mount.mapping' for the other files it finds once a bucket has been mounted)."""
    decoder, out, i = json.JSONDecoder(), {}, 0
    text = text.strip()
    while i < len(text):
        if text[i] != "{":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
            continue
        try:
            doc, i = decoder.raw_decode(text, i)
        except ValueError as exc:
            raise AdminShellError("unexpected answer from remote.configure at character %d: %s" % (i, exc)) from exc
        if isinstance(doc, dict) and doc.get("name"):
            # The listing masks S3 and Azure secrets but prints an inline GCS key: it is dropped here, and read
            # from the stored configuration like the other secrets when it is needed.
            if str(doc.get("gcsGoogleApplicationCredentials") or "").startswith("{"):
                doc["gcsGoogleApplicationCredentials"] = ""
                doc["inlineCredentials"] = True
            out[doc["name"]] = doc
        while i < len(text) and text[i].isspace():
            i += 1
    return out


def parse_mounts(text):
    """local directory -> its mapping ({'name': engine location name, 'bucket': cloud bucket, 'path': ...}), from
    `remote.mount` output."""
    try:
        mappings = json.loads(text or "{}").get("mappings") or {}
    except ValueError as exc:
        raise AdminShellError("unexpected answer from remote.mount: %s" % exc) from exc
    return {d: dict(m or {}) for d, m in mappings.items()}


def _varint(data, i):
    value = shift = 0
    while True:
        if i >= len(data):
            raise AdminShellError("a stored location configuration is truncated")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def blob_field(data, number):
    """The bytes of one length-delimited field of a protobuf message (b'' when absent): enough of the wire
    format to read a stored secret."""
    i, found = 0, b""
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            dummy, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            if field == number:
                found = bytes(data[i:i + size])
            i += size
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise AdminShellError("a stored location configuration is not in the expected format (wire type %d)" % wire)
    return found


def endpoint_problems(kind, endpoint, allow_private, resolve=socket.getaddrinfo):
    """Why an endpoint URL cannot be used, as a list of messages (empty: usable)."""
    if not endpoint:
        return []
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return ["endpoint %r is not an http(s) URL with a host (e.g. https://s3.eu-west-1.amazonaws.com)" % endpoint]
    try:
        port = parts.port
    except ValueError:
        return ["endpoint %r has an invalid port" % endpoint]
    problems = []
    if kind == "azure" and parts.scheme != "https":
        problems.append("endpoint %r: the engine speaks to Azure over https only" % endpoint)
    if allow_private:
        return problems
    try:
        addresses = [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a[4][0].split("%")[0]) for a in resolve(parts.hostname, port or 443)]
        except (OSError, UnicodeError) as exc:
            return problems + ["endpoint host %s does not resolve here (%s); if it is an on-premises cloud on a "
                               "private address, set allow_private_endpoint" % (parts.hostname, exc)]
    private = sorted({str(a) for a in addresses if not a.is_global})
    if private:
        problems.append("endpoint %s is on a private, loopback or link-local address (%s): the engine refuses those "
                        "unless it runs with allowUntrustedRemoteEndpoints; set allow_private_endpoint: true if this "
                        "is an on-premises cloud you trust" % (endpoint, ", ".join(private)))
    return problems


def gcs_problems(settings, allow_private):
    problems = []
    project, path = settings.get("project_id"), settings.get("credentials_file")
    if project and not GCS_PROJECT_RE.match(project):
        problems.append("gcs.project_id %r: Google project ids are 6-30 lowercase letters, digits and hyphens, "
                        "starting with a letter and not ending with a hyphen" % project)
    if path and not path.startswith("/"):
        problems.append("gcs.credentials_file %r is not an absolute path" % path)
    if settings.get("credentials") is not None:
        if path:
            problems.append("gcs.credentials and gcs.credentials_file are both set: give the key one way")
        try:
            key = parse_credentials(settings["credentials"])
        except ValidationError as exc:
            problems.append(str(exc))
        else:
            # The engine asks the key's token_uri for its tokens and refuses a private one as it refuses a
            # private endpoint.
            problems += ["gcs.credentials' token_uri: " + p
                         for p in endpoint_problems("gcs", key["token_uri"], allow_private)]
    return problems


def normalize_credentials(settings):
    """A gcs location's settings with an inline key as the one text the engine stores (compared as such)."""
    if (settings or {}).get("credentials") is None:
        return settings
    return dict(settings, credentials=canonical_credentials(parse_credentials(settings["credentials"])))


def stored_credentials(text):
    """An inline key as stored by the engine, in the same one text (None: a path, or none)."""
    if not text or not text.startswith("{"):
        return None
    try:
        return canonical_credentials(json.loads(text))
    except ValueError:
        return text


def validate(params):
    """Every problem with a present location's input at once, raised before anything is read or written."""
    problems = []
    name, kind = params["name"], params.get("type")
    if not NAME_RE.match(name):
        problems.append("name %r: use 2-63 lowercase letters, digits and hyphens, starting with a letter and not "
                        "ending with a hyphen" % name)
    if params.get("state", "present") == "absent":
        if problems:
            raise ValidationError("; ".join(problems))
        return
    if not kind:
        problems.append("type is required when state=present")
    else:
        settings = params.get(kind) or {}
        for other in TYPES:
            if other != kind and params.get(other):
                problems.append("%s is set, but the location's type is %s" % (other, kind))
        for option, value in settings.items():
            # An inline GCS key is carried in single quotes, written so that it holds none (canonical_credentials).
            if option != "credentials" and isinstance(value, str) and not SAFE_VALUE_RE.match(value):
                problems.append("%s.%s contains whitespace, a quote or a backslash, which the engine's admin shell "
                                "cannot carry" % (kind, option))
        if kind == "azure" and settings.get("account_name") and not AZURE_ACCOUNT_RE.match(settings["account_name"]):
            problems.append("azure.account_name %r: Azure accounts are 3-24 lowercase letters and digits"
                            % settings["account_name"])
        if kind == "gcs":
            problems += gcs_problems(settings, params.get("allow_private_endpoint"))
        problems += endpoint_problems(kind, settings.get("endpoint"), params.get("allow_private_endpoint"))
    if problems:
        raise ValidationError("; ".join(problems))


def missing_for_new(kind, settings):
    """The options a location of this type cannot be made without, as a message (None: complete)."""
    missing = [o for o in REQUIRED[kind] if not (settings or {}).get(o)]
    return "a new %s location needs %s" % (kind, ", ".join("%s.%s" % (kind, o) for o in missing)) if missing else None


def public(conf):
    """A stored configuration in the module's terms, without its secret."""
    if not conf:
        return {}
    kind = conf.get("type")
    out = {"name": user_name(conf.get("name", "")), "engine_name": conf.get("name"), "type": kind}
    for option, (key, dummy) in (TYPES.get(kind) or {}).get("options", {}).items():
        out[option] = conf.get(key)
    return out


class Locations:
    """The engine's locations and mounts, through one admin shell. One instance serves one module run, also from
    several threads: the locations and their secrets are read once (this run's own writes refresh them), and the
    engine's mount table is written by one command at a time - remote.mount and remote.unmount each read, change
    and rewrite the one file /etc/remote/mount.mapping, so two at once lose one of the mounts."""

    def __init__(self, shell):
        self.shell = shell
        self._lock = threading.Lock()
        self._mapping_lock = threading.Lock()
        self._confs = None
        self._secrets = {}
        self._clients = {}

    def read_all(self):
        with self._lock:
            if self._confs is None:
                self._confs = parse_listing(self.shell.run("remote.configure"))
            return self._confs

    def mounts(self):
        return parse_mounts(self.shell.run("remote.mount"))

    def secret(self, engine, field):
        with self._lock:
            if (engine, field) not in self._secrets:
                blob = self.shell.run("fs.cat /etc/remote/%s.conf" % engine, binary=True)
                self._secrets[engine, field] = blob_field(blob, field).decode("utf-8", "replace")
            return self._secrets[engine, field]

    def _forget(self):
        with self._lock:
            self._confs, self._secrets, self._clients = None, {}, {}

    def configure(self, engine, kind, values):
        """Write the whole configuration (the engine replaces it), values: option -> value incl. the secret."""
        spec = TYPES[kind]
        flags = ["-name=%s" % engine, "-type=%s" % kind]
        for option, (dummy, flag) in spec["options"].items():
            if values.get(option) is not None:
                flags.append("-%s=%s" % (flag, str(values[option]).lower() if isinstance(values[option], bool)
                                         else values[option]))
        if spec["secret"] and values.get(spec["secret"][0]):
            secret = values[spec["secret"][0]]
            if kind == "gcs":  # the key's JSON in place of a path, whole in single quotes (canonical_credentials)
                flags = [f for f in flags if not f.startswith("-gcs.appCredentialsFile=")]
                secret = "'%s'" % secret
            flags.append("-%s=%s" % (spec["secret"][2], secret))
        self._forget()
        self.shell.run("remote.configure " + " ".join(flags), shown="remote.configure -name=%s (secret not shown)" % engine)

    def delete(self, engine):
        self._forget()
        self.shell.run("remote.configure -delete -name=%s" % engine)

    def mount_of(self, directory):
        return self.mounts().get(directory)

    def mount(self, directory, location, bucket, refresh, remount=False):
        """Mount the cloud bucket on the directory, its listing re-read after `refresh` seconds (0: never); remount:
        the same mount again with another refresh, keeping the directory's entries (-nonempty)."""
        with self._mapping_lock:
            self.shell.run("remote.mount -dir=%s -remote=%s/%s -listingCacheTTL=%d%s"
                           % (directory, engine_name(location), bucket, refresh, " -nonempty" if remount else ""))

    def unmount(self, directory):
        with self._mapping_lock:
            self.shell.run("remote.unmount -dir=%s" % directory)

    def _client(self, location, make):
        """One cloud client per location and run (clients are thread-safe)."""
        with self._lock:
            client = self._clients.get(location)
        if client is None:
            client = make(location)
            with self._lock:
                client = self._clients.setdefault(location, client)
        return client

    def s3_client(self, location):
        return self._client(location, self._make_s3_client)

    def azure_client(self, location):
        return self._client(location, self._make_azure_client)

    def gcs_client(self, location):
        return self._client(location, self._make_gcs_client)

    def _make_gcs_client(self, location):
        """A GCS client of a gcs location: its project, and the key the engine stored for it (or the path of the
        key file the engine reads, read here at the same path; or none, against an emulator)."""
        from .gcs_storage import GcsStorage
        engine = engine_name(location)
        conf = self.read_all().get(engine) or {}
        key = None
        if conf.get("inlineCredentials"):
            key = parse_credentials(self.secret(engine, TYPES["gcs"]["secret"][3]))
        return GcsStorage(conf.get("gcsProjectId"), conf.get("gcsGoogleApplicationCredentials") or None,
                          credentials=key)

    def _make_s3_client(self, location):
        """An S3 client of an s3 location, with the credentials the engine stored for it."""
        from .s3_connection import s3_client
        engine = engine_name(location)
        conf = self.read_all().get(engine) or {}
        return s3_client({"endpoint_url": conf.get("s3Endpoint") or None, "region": conf.get("s3Region"),
                          "access_key": conf.get("s3AccessKey"), "secret_key": self.secret(engine, TYPES["s3"]["secret"][3]),
                          "addressing_style": "path" if conf.get("s3ForcePathStyle") else "virtual"})

    def _make_azure_client(self, location):
        """An Azure Blob client of an azure location, with the key the engine stored for it (trust: the system's,
        or SSL_CERT_FILE)."""
        from .azure_blob import AzureBlob
        engine = engine_name(location)
        conf = self.read_all().get(engine) or {}
        return AzureBlob(conf.get("azureAccountName"), self.secret(engine, TYPES["azure"]["secret"][3]),
                         conf.get("azureEndpoint") or None)

    def cloud_bucket_exists(self, location, bucket, kind="s3"):
        """Does the cloud bucket (an Azure container) exist? Asked through the provider's API."""
        if kind == "azure":
            return self.azure_client(location).container_exists(bucket)
        if kind == "gcs":
            return self.gcs_client(location).bucket_exists(bucket)
        from .s3_errors import BOTO_ERRORS, error_code, translate
        client = self.s3_client(location)
        try:
            client.head_bucket(Bucket=bucket)
            return True
        except BOTO_ERRORS as exc:
            if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise translate(exc, "HeadBucket (cloud bucket of location %s)" % location, bucket, client) from exc
        return False

    def ensure_cloud_bucket(self, location, bucket, kind="s3"):
        """Create the cloud bucket (an Azure container) through the provider's API when it does not exist (the
        engine's mount needs it)."""
        if self.cloud_bucket_exists(location, bucket, kind):
            return False
        self.create_cloud_bucket(location, bucket, kind)
        return True

    def create_cloud_bucket(self, location, bucket, kind="s3"):
        if kind == "azure":
            self.azure_client(location).create_container(bucket)
            return
        if kind == "gcs":
            self.gcs_client(location).create_bucket(bucket)
            return
        from .s3_errors import BOTO_ERRORS, translate
        client = self.s3_client(location)
        try:
            client.create_bucket(Bucket=bucket)
        except BOTO_ERRORS as exc:
            raise translate(exc, "CreateBucket (cloud bucket of location %s)" % location, bucket, client) from exc


def users_of(mounts, engine):
    """The buckets (or other directories) mounted on a location."""
    return sorted(d[len("/buckets/"):] if d.startswith("/buckets/") else d
                  for d, m in mounts.items() if m.get("name") == engine)


def in_use_error(name, users):
    return S3ModuleError("location %s is in use by %s: move or unmount them first (metalstore.platform.bucket), the "
                         "location was not removed" % (name, ", ".join(users)))
