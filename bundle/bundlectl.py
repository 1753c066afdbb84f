"""Bundle manifest tool for builders and humans; the format itself is plugins/module_utils/bundle_format.py.

  bundlectl.py verify DIR|TARBALL [--quiet]   every sha256, size and image digest, completeness, no unlisted files
  bundlectl.py compare A B                    interchangeability (same artifacts, versions, image digests)
  bundlectl.py image-info ARCHIVE             reference and digests recorded in an OCI/docker archive (JSON)
  bundlectl.py images DIR VERSION             {role: image} that Kubernetes VERSION runs, from DIR's manifest

Exit status: 0 ok, 1 invalid bundle (one line on stderr), 2 usage.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "module_utils"))
from bundle_format import BundleError, compare, image_info, images_for, load_manifest, verify  # noqa: E402


def _err(line):
    print(line, file=sys.stderr)


def summary(root, manifest):
    return (f"bundle OK: {root} ({len(manifest['artifacts'])} artifacts, kubernetes "
            f"{' '.join(manifest['kubernetes_versions'])}, builder {manifest['builder']})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("bundle")
    v.add_argument("--quiet", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    i = sub.add_parser("image-info")
    i.add_argument("archive")
    m = sub.add_parser("images")
    m.add_argument("dir")
    m.add_argument("version")
    args = p.parse_args(argv)
    try:
        if args.cmd == "verify":
            _err(summary(args.bundle, verify(args.bundle, args.quiet, _err)))
        elif args.cmd == "compare":
            a, b = (load_manifest(x) if os.path.isdir(x) else json.load(open(x)) for x in (args.a, args.b))
            diffs = compare(a, b)
            if diffs:
                raise BundleError("manifests differ: " + "; ".join(diffs))
            _err(f"manifests match: {len(a['artifacts'])} artifacts (image digests and binary sha256 identical)")
        elif args.cmd == "images":
            print(json.dumps(images_for(load_manifest(args.dir), args.version), indent=2, sort_keys=True))
        else:
            print(json.dumps(image_info(args.archive)))
    except BundleError as e:
        _err(f"bundle: ERROR: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
