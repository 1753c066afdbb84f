#!/usr/bin/env bash
# The product path on a real multi-node lab, over SSH like `make lab-deploy` (docs/prepare.md, docs/kubernetes.md):
#  1. the example inventories (inventories/examples/*) parse, pass a syntax check of the playbooks and their
#     variables validate against the roles' argument specs (controller only, no hosts needed);
#  2. a fresh lab of 3 control-plane nodes + 1 worker, a data disk on each storage node; playbooks/prepare.yml runs
#     twice with the offline bundle: the first run must succeed, the second (one host at a time) change nothing;
#  3. playbooks/cluster.yml from the prepared hosts (the bundle's Kubernetes through the product's roles: HA API
#     endpoint, kubeadm v1beta4, flannel, CoreDNS, local volumes), then tests/kubernetes/cluster_checks.yml (every
#     node Ready on the bundle's version, pod to pod across nodes, Service, DNS, StatefulSet on a local PV); a second
#     run and a --check run must change nothing; the control-plane node holding the VIP is stopped: the API must
#     answer through the VIP again within 30 s, and the node rejoins when started.
# The lab is torn down and the host-global sysctls kubelet writes are restored whatever happens.
# K8S_LAB_NAME / K8S_LAB_SUBNET choose the lab (default k8s4 on 10.213.110.0/24); BUNDLE_DIR runs another bundle
# (e.g. one from playbooks/bundle_from_upstream.yml), K8S_VERSION another of its Kubernetes versions.
. "$(dirname "$0")/../lib.sh" && cd "$ROOT" && use_venv
set -o pipefail
unset ANSIBLE_COLLECTIONS_PATHS

log "example inventories"
for inv in inventories/examples/*/; do
  ansible-inventory -i "$inv" --list >/dev/null || { echo "FAIL: $inv does not parse" >&2; exit 1; }
  for pb in prepare cluster; do
    ansible-playbook -i "$inv" "playbooks/$pb.yml" --syntax-check >/dev/null || { echo "FAIL: syntax check of $pb.yml with $inv" >&2; exit 1; }
  done
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
      loop: [preflight, prerequisites, site_ca, containerd, darksite_bootstrap, kubernetes_node, kubernetes_api_endpoint,
             kubernetes_control_plane, kubernetes_network, kubernetes_storage]
      when: item != 'kubernetes_api_endpoint' or metalstore_api_vip | default('') | length > 0
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
name="${K8S_LAB_NAME:-k8s4}"
subnet="${K8S_LAB_SUBNET:-10.213.110.0/24}"
export LAB_NAME="$name" LAB_SUBNET="$subnet" LAB_NODES=4 LAB_DISKS=1 LAB_DISK_SIZE=1G
bundle="${BUNDLE_DIR:-$(python3 bundle/build.py)}" || exit 1
[ -f "$bundle/manifest.json" ] || { echo "FAIL: '$bundle' is not a bundle" >&2; exit 1; }
version="${K8S_VERSION:-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubernetes_versions"][-1])' "$bundle/manifest.json")}"
extra=(-e "metalstore_bundle_dir=$bundle" -e "metalstore_kubernetes_version=$version")

# kubelet and kube-proxy set global sysctls, which inside a lab node are the host kernel's: restore them.
SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops"
declare -A saved
for s in $SYSCTLS; do saved[$s]="$(sysctl -n "$s")"; done
inv="$(mktemp -d "$BUILD/tmp/k8s-lab.XXXXXX")"
cleanup() {
  local rc=$?
  [ -n "${KEEP_LAB:-}" ] || lab/labctl down >/dev/null 2>&1 || { echo "WARNING: lab-down of $name failed" >&2; rc=1; }
  for s in $SYSCTLS; do sysctl -q -w "$s=${saved[$s]}" || rc=1; done
  [ -n "${KEEP_LAB:-}" ] || rm -rf "$inv"
  exit $rc
}
trap cleanup EXIT
log "lab $name ($subnet): 3 control-plane nodes + 1 worker, a data disk on each; bundle $bundle, Kubernetes $version"
lab/labctl down >/dev/null 2>&1 || true
lab/labctl up || exit 1
# The lab's group_vars with this lab's hosts only (inventories/lab may hold another lab's hosts.yml).
ln -s "$ROOT/inventories/lab/group_vars" "$inv/group_vars"
cp ".build/lab/$name/hosts.yml" "$inv/hosts.yml"
vip="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["all"]["vars"]["metalstore_api_vip"])' "$inv/hosts.yml")"

run() { # run NAME PLAYBOOK [ARGS...] -> log in $inv/NAME.log, prints seconds
  local n=$1 pb=$2 start=$(date +%s); shift 2
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" "$pb" "${extra[@]}" "$@" > "$inv/$n.log" 2>&1
  local rc=$?
  echo "$(basename "$pb") ($n): rc=$rc in $(( $(date +%s) - start ))s" >&2
  [ $rc = 0 ] || { tail -60 "$inv/$n.log" >&2; echo "FAIL: $n" >&2; }
  return $rc
}
recap() { grep -E '^\S+ +: ok=' "$inv/$1.log"; }
clean() { # clean NAME HOSTS: every host in the recap, nothing failed or unreachable
  [ "$(recap "$1" | wc -l)" = "$2" ] && ! recap "$1" | grep -qE 'unreachable=[1-9]|failed=[1-9]' \
    || { recap "$1" >&2; echo "FAIL: $1 recap is not clean" >&2; return 1; }
}
unchanged() { # unchanged NAME: changed=0 on every host
  clean "$1" "$2" || return 1
  if recap "$1" | grep -vq ' changed=0 '; then
    grep -B8 -E '^changed:' "$inv/$1.log" | head -80 >&2
    echo "FAIL: $1 changed something" >&2; return 1
  fi
}

log "prepare.yml, first run"
run prepare1 lab/playbooks/prepare.yml && clean prepare1 4 || exit 1
log "prepare.yml, second run, one host at a time (prepare_serial=1; must change nothing)"
run prepare2 lab/playbooks/prepare.yml -e prepare_serial=1 && unchanged prepare2 4 || exit 1
recap prepare2

log "cluster.yml from the prepared hosts"
run cluster1 playbooks/cluster.yml && clean cluster1 4 || exit 1
log "cluster checks"
ANSIBLE_NOCOLOR=1 ansible-playbook -i "$inv" tests/kubernetes/cluster_checks.yml "${extra[@]}" > "$inv/checks.log" 2>&1 \
  || { tail -60 "$inv/checks.log" >&2; echo "FAIL: cluster checks" >&2; exit 1; }
sed -n '/TASK \[Summary\]/,/^$/p' "$inv/checks.log" | grep -E '^ +- ' || true
log "cluster.yml again (must change nothing)"
run cluster2 playbooks/cluster.yml && unchanged cluster2 4 || exit 1
log "cluster.yml --check on the converged cluster (must predict no change)"
run cluster3 playbooks/cluster.yml --check && unchanged cluster3 4 || exit 1

log "API VIP failover"
python3 tests/kubernetes/vip_failover.py --inventory "$inv/hosts.yml" --vip "$vip" --kubectl "$bundle/bin/$version/kubectl"
