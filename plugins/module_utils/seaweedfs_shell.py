# -*- coding: utf-8 -*-
# Copyright: MetalStore engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SeaweedFS's admin channel: `weed shell` run non-interactively. Some settings (quota, remote storage)
exist only there. The shell hangs when the master is unreachable, so every session has a timeout.

The shell runs beside the module, or - for a SeaweedFS on Kubernetes, whose gRPC ports need the cluster's
client certificate and are not reachable from outside - inside one of its pods, through the Kubernetes API's
exec (the `kubernetes` client that kubernetes.core uses), with the commands on stdin."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from ansible.module_utils.basic import env_fallback

from .s3_errors import AdminShellError, ValidationError

SEAWEEDFS_ADMIN_SPEC = dict(
    seaweedfs_master=dict(type="str", fallback=(env_fallback, ["METALSTORE_SEAWEEDFS_MASTER"])),
    seaweedfs_weed_path=dict(type="str", fallback=(env_fallback, ["METALSTORE_WEED"])),
    seaweedfs_timeout=dict(type="int", default=30),
    seaweedfs_filer=dict(type="str"),
    seaweedfs_pod=dict(type="str", fallback=(env_fallback, ["METALSTORE_SEAWEEDFS_POD"])),
    # A path or the kubeconfig itself (as kubernetes.core takes it); hide_kubeconfig_secrets() masks its keys.
    seaweedfs_kubeconfig=dict(type="raw", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
)

# host:port, or host:port.grpcport when the gRPC port is not port+10000 (SeaweedFS's own syntax).
_MASTER_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}(\.\d{1,5})?$")
# namespace/pod (DNS-1123 names)
_POD_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$")


_KUBECONFIG_SECRETS = ("token", "password", "client-key-data", "client-certificate-data", "access-token",
                       "refresh-token", "secret")


def kubeconfig_secrets(data):
    """The secret strings of a kubeconfig given as a dictionary (its keys, tokens, passwords), for the module's
    no_log values: masking the whole dictionary would also mask plain words like its user and cluster names."""
    found = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _KUBECONFIG_SECRETS and isinstance(value, str):
                found.add(value)
            else:
                found |= kubeconfig_secrets(value)
    elif isinstance(data, list):
        for item in data:
            found |= kubeconfig_secrets(item)
    return found


def hide_kubeconfig_secrets(module):
    module.no_log_values.update(kubeconfig_secrets(module.params.get("seaweedfs_kubeconfig")))


def find_weed(explicit=None):
    """The weed binary: the explicit path, else PATH, else beside the running Python (a venv's bin/)."""
    candidates = [explicit] if explicit else ["weed", os.path.join(os.path.dirname(sys.executable), "weed")]
    for c in candidates:
        path = shutil.which(c) if os.sep not in c else (c if os.access(c, os.X_OK) else None)
        if path:
            return path
    raise AdminShellError(f"the SeaweedFS 'weed' binary was not found ({explicit or 'PATH'}); "
                          "set seaweedfs_weed_path")


class WeedShell:
    def __init__(self, master, weed_path=None, timeout=30, pod=None, kubeconfig=None, filer=None):
        if not master or not _MASTER_RE.match(master):
            raise ValidationError(f"seaweedfs_master must be host:port or host:port.grpcport, got {master!r}")
        if filer is not None and not _MASTER_RE.match(filer):
            raise ValidationError(f"seaweedfs_filer must be host:port or host:port.grpcport, got {filer!r}")
        if pod is not None and not _POD_RE.match(pod):
            raise ValidationError(f"seaweedfs_pod must be namespace/pod, got {pod!r}")
        self.master = master
        self.filer = filer
        self.weed_path = weed_path
        self.timeout = timeout
        self.pod = pod
        self.kubeconfig = kubeconfig

    @classmethod
    def from_params(cls, params):
        """The shell of a module's seaweedfs_* options."""
        return cls(params["seaweedfs_master"], params["seaweedfs_weed_path"], params["seaweedfs_timeout"],
                   params.get("seaweedfs_pod"), params.get("seaweedfs_kubeconfig"), params.get("seaweedfs_filer"))

    def argv(self):
        return ["shell", f"-master={self.master}"] + ([f"-filer={self.filer}"] if self.filer else [])

    def run(self, *commands, **kwargs):
        """Run commands in one shell session; return stdout. Raise AdminShellError on any 'error:' line.

        binary=True returns stdout as bytes (fs.cat of a protobuf blob). shown= replaces the commands in error
        messages: commands that carry a secret (on stdin, never on a command line) must not be echoed."""
        binary, shown = kwargs.get("binary", False), kwargs.get("shown")
        stdin = ("\n".join(commands) + "\n").encode()
        rc, stdout, stderr = self._in_pod(stdin) if self.pod else self._here(stdin)
        out, err = stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
        errors = [line for line in (out + "\n" + err).splitlines() if line.startswith("error:")]
        if rc != 0 or errors:
            detail = "; ".join(errors) or err.strip() or f"exit code {rc}"
            raise AdminShellError(f"weed shell ({shown or '; '.join(commands)}) failed: {detail}")
        return stdout if binary else out

    def _timed_out(self):
        where = f" (run in pod {self.pod})" if self.pod else ""
        return AdminShellError(f"weed shell did not answer within {self.timeout}s: is the SeaweedFS master "
                               f"{self.master} reachable{where}?")

    def _here(self, stdin):
        weed = find_weed(self.weed_path)
        try:
            # Not module.run_command: it has no timeout, and weed shell hangs on an unreachable master.
            proc = subprocess.run(  # pylint: disable=ansible-bad-function
                [weed] + self.argv(), input=stdin, capture_output=True, timeout=self.timeout,
                check=False)
        except subprocess.TimeoutExpired as exc:
            raise self._timed_out() from exc
        return proc.returncode, proc.stdout, proc.stderr

    def _in_pod(self, stdin):
        """The shell in the pod: weed from the pod's image, with the pod's certificates. The commands end with
        `exit`, so the session ends even where the API cannot close stdin (exec protocols before v5)."""
        try:
            from kubernetes import client as k8s, config as k8s_config
            from kubernetes.stream import stream
        except ImportError as exc:
            raise AdminShellError("seaweedfs_pod needs the Python kubernetes client on the host the module runs on "
                                  "(pip install kubernetes)") from exc
        namespace, pod = self.pod.split("/", 1)
        try:
            if isinstance(self.kubeconfig, dict):
                api_client = k8s_config.new_client_from_config_dict(self.kubeconfig)
            else:
                api_client = k8s_config.new_client_from_config(config_file=self.kubeconfig)
            api = k8s.CoreV1Api(api_client)
            ws = stream(api.connect_get_namespaced_pod_exec, pod, namespace,
                        command=["weed"] + self.argv(), stdin=True, stdout=True, stderr=True,
                        tty=False, binary=True, _preload_content=False)
        except Exception as exc:  # the client raises ApiException, config and connection errors of several kinds
            raise AdminShellError(f"could not run weed shell in pod {self.pod}: {exc}") from exc
        try:
            ws.write_stdin(stdin + b"exit\n")
            out, err = bytearray(), bytearray()
            deadline = time.monotonic() + self.timeout
            while ws.is_open():
                if time.monotonic() > deadline:
                    raise self._timed_out()
                ws.update(timeout=1)
                if ws.peek_stdout():
                    out += ws.read_stdout()
                if ws.peek_stderr():
                    err += ws.read_stderr()
            out += ws.read_stdout() if ws.peek_stdout() else b""
            err += ws.read_stderr() if ws.peek_stderr() else b""
            try:
                rc = ws.returncode
            except (TypeError, KeyError, IndexError, ValueError) as exc:  # no status: the stream broke off
                raise AdminShellError(f"weed shell in pod {self.pod} ended without an exit status (the exec stream "
                                      f"broke off): {err.decode('utf-8', 'replace').strip()}") from exc
        finally:
            ws.close()
        return rc, bytes(out), bytes(err)


_QUOTA_RE = re.compile(r"bucket quota:\s*(-?\d+)\s*MiB")


def parse_quota(output):
    """MiB from 's3.bucket.quota -op=get' output: 0 = none, negative = set but disabled."""
    m = _QUOTA_RE.search(output)
    if not m:
        raise AdminShellError(f"unexpected answer from s3.bucket.quota: {output.strip()!r}")
    return int(m.group(1))
