"""The from-source bundle recipe (recipe.toml) as components, and the Go environment builds run in.

Shared by gomod.py (wrapper modules) and build.py (the builder). Standard library only (Python >= 3.11).
"""
import hashlib
import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "plugins", "module_utils"))
from bundle_format import BundleError  # noqa: E402,F401 - the one error type of builders and format
DEFAULT_RECIPE = os.path.join(HERE, "recipe.toml")
DEFAULT_CACHE = "/var/cache/metalstore/bundle"
GO_CACHE = os.environ.get("METALSTORE_GO_CACHE", "/var/cache/metalstore/go")


@dataclass
class Component:
    id: str  # wrapper module directory name: etcd, kubernetes-v1.36.1, ...
    module: str  # main module path ("local": bundle/src)
    version: str
    build: dict  # output name -> main package
    ldflags: list = field(default_factory=list)
    also_require: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    cgo: bool = False
    debs: list = field(default_factory=list)
    kubernetes: bool = False
    replace: dict = field(default_factory=dict)  # module -> version that stands in for the one required

    @property
    def local(self):
        return self.module == "local"

    def spec_hash(self):
        """Fingerprint of this recipe entry: a wrapper module generated from another entry is stale."""
        spec = {k: getattr(self, k) for k in ("module", "version", "build", "also_require", "kubernetes", "replace")}
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]

    def source(self):
        return "bundle/src" if self.local else f"{self.module}@{self.version}"


@dataclass
class Recipe:
    path: str
    data: dict
    components: list

    @property
    def kubernetes_versions(self):
        return list(self.data["kubernetes"]["versions"])

    def component(self, cid):
        for c in self.components:
            if c.id == cid:
                return c
        raise BundleError(f"no component {cid!r} in {self.path}")

    def modules_dir(self):
        return os.path.join(os.path.dirname(self.path), "modules")

    def wrapper_dir(self, comp):
        base = os.path.dirname(self.path)
        return os.path.join(base, "src") if comp.local else os.path.join(self.modules_dir(), comp.id)


VERSION_RE = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def load(path=None):
    path = os.path.abspath(path or os.environ.get("BUNDLE_RECIPE") or DEFAULT_RECIPE)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise BundleError(f"recipe {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise BundleError(f"recipe {path} is not valid TOML: {e}") from None
    try:
        k8s = data["kubernetes"]
        comps = []
        for v in k8s["versions"]:
            check_version("kubernetes", v)
            minor = v.lstrip("v").rsplit(".", 1)[0]
            comps.append(Component(
                id=f"kubernetes-{v}", module=k8s["module"], version=v, kubernetes=True,
                build={b: f"{k8s['module']}/cmd/{b}" for b in k8s["binaries"] + k8s["images"]},
                tags=list(k8s.get("tags", [])), ldflags=list(k8s.get("ldflags", [])),
                also_require=[], debs=[]))
            comps[-1].minor = minor
        for cid, c in sorted(data.get("components", {}).items()):
            check_version(cid, c["version"])
            comps.append(Component(id=cid, module=c["module"], version=c["version"], build=dict(c["build"]),
                                   ldflags=list(c.get("ldflags", [])), also_require=list(c.get("also_require", [])),
                                   tags=list(c.get("tags", [])), cgo=bool(c.get("cgo", False)),
                                   debs=list(c.get("debs", [])), replace=dict(c.get("replace", {}))))
        for key in ("images", "seaweedfs", "debian"):
            data[key]  # noqa: B018 - presence check
    except KeyError as e:
        raise BundleError(f"recipe {path} lacks the key {e}") from None
    return Recipe(path=path, data=data, components=comps)


def check_version(what, version):
    if not VERSION_RE.match(str(version)):
        raise BundleError(f"recipe: {what} version {version!r} is not a semantic version like v1.2.3")


def go_env(extra=None):
    """Environment of every go command: the installed Go only (no toolchain download), the module proxy,
    caches outside any checkout, no workspace or user GOFLAGS."""
    env = dict(os.environ)
    env.update({
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
        "GOFLAGS": "-mod=readonly -buildvcs=false",
        "GOMODCACHE": os.path.join(GO_CACHE, "mod"),
        "GOCACHE": os.path.join(GO_CACHE, "build"),
    })
    env.pop("GOPATH", None)
    env.pop("GO111MODULE", None)
    if extra:
        env.update(extra)
    return env
