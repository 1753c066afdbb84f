#!/usr/bin/env bash
# The product path on a real multi-node lab, over SSH like `make lab-deploy` (docs/prepare.md, docs/bundle.md):
#  1. the example inventories (inventories/examples/*) parse, pass a syntax check of prepare.yml and their
#     variables validate against the roles' argument specs (controller only, no hosts needed);
#  2. a fresh 3-node lab with a data disk per node; playbooks/prepare.yml runs twice with the offline bundle: the
#     first run must succeed (containerd 2.x from the bundle, the bundle's images in the dark-site registry), the
#     second must report changed=0 on every host;
#  3. proof that the bundle is real: tests/bundle/k8s_single_node.yml on the control-plane node (roles/kubernetes_node,
#     kubeadm init v1beta4, flannel and CoreDNS from the bundle, versions, Service, DNS and local-PV checks).
# The lab is torn down and the host-global sysctls kubelet writes are restored whatever happens.
# PREPARE_LAB_NAME / PREPARE_LAB_SUBNET choose the lab (default prep3 on 10.213.110.0/24); BUNDLE_DIR proves another
# bundle (e.g. one from playbooks/bundle_from_upstream.yml), BUNDLE_PROOF_VERSION another of its Kubernetes versions.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
unset ANSIBLE_COLLECTIONS_PATHS

log "example inventories"
for inv in inventories/examples/*/; do
  ansible-inventory -i "$inv" --list >/dev/null || { echo "FAIL: $inv does not parse" >&2; exit 1; }
  ansible-playbook -i "$inv" playbooks/prepare.yml --syntax-check >/dev/null || { echo "FAIL: syntax check with $inv" >&2; exit 1; }
done
specs="$(mktemp -d)"
cat > "$specs/validate.yml" <<'YML'
- name: Validate the example inventories' variables against the roles' argument specs (no connection)
  hosts: all
  gather_facts: false
  tasks:
    - name: Validate
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ (lookup('ansible.builtin.file', roles_dir ~ '/' ~ item ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
      loop: [preflight, prerequisites, site_ca, containerd, darksite_bootstrap, kubernetes_node]
YML
for inv in inventories/examples/*/; do
  # ansible_facts are unknown without a connection: give the few fact-based defaults a stand-in.
  # The examples keep their secrets in ansible-vault: stand-ins here.
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" "$specs/validate.yml" -e roles_dir="$ROOT/roles" \
    -e vault_registry_pull_password=example-only -e vault_pki_passphrase=example-only \
    -e '{"ansible_facts": {"default_ipv4": {"address": "192.0.2.1"}}}' > "$specs/out" 2>&1 \
    || { cat "$specs/out" >&2; echo "FAIL: $inv does not validate against the argument specs" >&2; exit 1; }
  echo "ok: $inv parses, passes the syntax check and validates"
done
rm -rf "$specs"

[ "$(id -u)" = 0 ] || { echo "skipped (lab part): the lab needs root" >&2; exit 77; }
name="${PREPARE_LAB_NAME:-prep3}"
subnet="${PREPARE_LAB_SUBNET:-10.213.110.0/24}"
export LAB_NAME="$name" LAB_SUBNET="$subnet" LAB_NODES=3 LAB_DISKS=1 LAB_DISK_SIZE=1G
bundle="${BUNDLE_DIR:-$(python3 bundle/build.py)}" || exit 1
[ -f "$bundle/manifest.json" ] || { echo "FAIL: '$bundle' is not a bundle" >&2; exit 1; }
version="${BUNDLE_PROOF_VERSION:-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubernetes_versions"][-1])' "$bundle/manifest.json")}"
extra=(-e "metalstore_bundle_dir=$bundle" -e "metalstore_kubernetes_version=$version")

# kubelet and kube-proxy set global sysctls, which inside a lab node are the host kernel's: restore them.
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done
inv="$(mktemp -d "$BUILD/tmp/prepare-lab.XXXXXX")"
cleanup() {
  local rc=$?
  lab/labctl down >/dev/null 2>&1 || { echo "WARNING: lab-down of $name failed" >&2; rc=1; }
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}" || rc=1; done
  rm -rf "$inv"
  exit $rc
}
trap cleanup EXIT
log "lab $name ($subnet): 3 nodes, one data disk each; bundle $bundle, Kubernetes $version"
lab/labctl down >/dev/null 2>&1 || true
lab/labctl up || exit 1
# The lab's group_vars with this lab's hosts only (inventories/lab may hold another lab's hosts.yml).
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
cp ".build/lab/$name/hosts.yml" "$inv/hosts.yml"

run() { # run N [ARGS...] -> log in $inv/runN.log, prints seconds
  local n=$1 start=$(date +%s); shift
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" lab/playbooks/prepare.yml "${extra[@]}" "$@" > "$inv/run$n.log" 2>&1
  local rc=$?
  echo "prepare.yml run $n: rc=$rc in $(( $(date +%s) - start ))s" >&2
  return $rc
}
recap() { grep -E '^\S+ +: ok=' "$inv/run$1.log"; }

log "prepare.yml, first run"
run 1 || { tail -60 "$inv/run1.log" >&2; echo "FAIL: first run failed" >&2; exit 1; }
recap 1
[ "$(recap 1 | wc -l)" = 3 ] && ! recap 1 | grep -qE 'unreachable=[1-9]|failed=[1-9]' \
  || { echo "FAIL: first run recap is not clean" >&2; exit 1; }

log "prepare.yml, second run, one host at a time (prepare_serial=1; must change nothing)"
run 2 -e prepare_serial=1 || { tail -60 "$inv/run2.log" >&2; echo "FAIL: second run failed" >&2; exit 1; }
recap 2
if recap 2 | grep -vq ' changed=0 '; then
  grep -B8 -E '^changed:' "$inv/run2.log" | head -80 >&2
  echo "FAIL: second run changed something" >&2; exit 1
fi
echo "ok: first run succeeded, second run changed=0 on 3 hosts"

log "Kubernetes $version from the bundle on the control-plane node"
t=$(date +%s)
ansible-playbook -i "$inv" tests/bundle/k8s_single_node.yml "${extra[@]}" || { echo "FAIL: bundle proof" >&2; exit 1; }
log "Kubernetes from the bundle + checks: $(( $(date +%s) - t ))s"
