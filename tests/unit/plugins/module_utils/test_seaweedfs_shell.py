# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The admin shell's pod transport: what is sent, how the session ends, how a failure reads. The Kubernetes API's
exec stream is faked (its protocol is the kubernetes client's); the lab stage runs the real one."""
from __future__ import annotations

import pytest

from ansible_collections.metalstore.platform.plugins.module_utils import seaweedfs_shell as ws
from ansible_collections.metalstore.platform.plugins.module_utils.s3_errors import AdminShellError, ValidationError

kubernetes = pytest.importorskip("kubernetes")


class FakeExec:
    """A finished `weed shell` session: stdout/stderr delivered over a few updates, then closed."""

    def __init__(self, stdout=b"", stderr=b"", rc=0, hang=False):
        self.sent, self.closed, self.rc, self.hang = b"", False, rc, hang
        self._chunks = [stdout[:3], stdout[3:]]
        self._stderr = stderr
        self._out, self._err = b"", b""

    def write_stdin(self, data):
        self.sent += data

    def is_open(self):
        return self.hang or bool(self._chunks)

    def update(self, timeout=0):
        if self._chunks:
            self._out += self._chunks.pop(0)
            self._err, self._stderr = self._err + self._stderr, b""

    def peek_stdout(self):
        return len(self._out)

    def read_stdout(self):
        out, self._out = self._out, b""
        return out

    def peek_stderr(self):
        return len(self._err)

    def read_stderr(self):
        err, self._err = self._err, b""
        return err

    @property
    def returncode(self):
        return self.rc

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    calls = {}

    def install(session):
        def stream(func, pod, namespace, **kwargs):
            calls.update(pod=pod, namespace=namespace, **kwargs)
            return session
        monkeypatch.setattr("kubernetes.stream.stream", stream)
        monkeypatch.setattr("kubernetes.config.new_client_from_config", lambda config_file=None: None)
        return calls
    return install


def test_commands_on_stdin_then_exit_in_the_named_pod(fake):
    session = FakeExec(stdout=b"\x0a\x02s3 blob")
    calls = fake(session)
    shell = ws.WeedShell("localhost:9333", pod="metalstore-objectstore/seaweedfs-master-1")
    assert shell.run("fs.cat /etc/remote/a.conf", binary=True) == b"\x0a\x02s3 blob"
    assert session.sent == b"fs.cat /etc/remote/a.conf\nexit\n" and session.closed
    assert (calls["namespace"], calls["pod"]) == ("metalstore-objectstore", "seaweedfs-master-1")
    assert calls["command"] == ["weed", "shell", "-master=localhost:9333"] and calls["binary"] and not calls["tty"]


def test_an_error_line_fails_without_the_secret(fake):
    fake(FakeExec(stdout=b"error: remote.configure: bad endpoint\n"))
    shell = ws.WeedShell("localhost:9333", pod="ns/p")
    with pytest.raises(AdminShellError) as exc:
        shell.run("remote.configure -s3.secret_key=TOPSECRET", shown="remote.configure -name=x (secret not shown)")
    assert "bad endpoint" in str(exc.value) and "TOPSECRET" not in str(exc.value)


def test_a_failed_exit_code_and_a_hanging_session(fake):
    fake(FakeExec(stderr=b"connection refused", rc=1))
    with pytest.raises(AdminShellError, match="connection refused"):
        ws.WeedShell("localhost:9333", pod="ns/p").run("remote.mount")
    session = FakeExec(hang=True)
    fake(session)
    with pytest.raises(AdminShellError, match="within 1s.*in pod ns/p"):
        ws.WeedShell("localhost:9333", timeout=1, pod="ns/p").run("remote.mount")
    assert session.closed


def test_pod_names_checked_before_anything_runs():
    for bad in ("seaweedfs-master-0", "ns/", "NS/pod", "ns/pod; rm", "a/b/c"):
        with pytest.raises(ValidationError, match="namespace/pod"):
            ws.WeedShell("localhost:9333", pod=bad)


def test_only_the_kubeconfigs_secrets_are_masked():
    kubeconfig = {"apiVersion": "v1", "kind": "Config",
                  "clusters": [{"name": "kubernetes", "cluster": {"server": "https://10.0.0.10:6443"}}],
                  "users": [{"name": "kubernetes-admin", "user": {"client-certificate-data": "CERTDATA",
                                                                  "client-key-data": "KEYDATA"}},
                            {"name": "robot", "user": {"token": "TOKEN"}}]}
    assert ws.kubeconfig_secrets(kubeconfig) == {"CERTDATA", "KEYDATA", "TOKEN"}
    assert ws.kubeconfig_secrets("/root/.kube/config") == set()


def test_the_filer_to_work_through(fake):
    calls = fake(FakeExec())
    ws.WeedShell("localhost:9333", pod="ns/p", filer="seaweedfs-filer.ns.svc.cluster.local:8888").run("remote.mount")
    assert calls["command"] == ["weed", "shell", "-master=localhost:9333",
                                "-filer=seaweedfs-filer.ns.svc.cluster.local:8888"]
    with pytest.raises(ValidationError, match="seaweedfs_filer"):
        ws.WeedShell("localhost:9333", filer="no port")
