# Offline Kubernetes bundle (docs/bundle.md). The from-source build is cached outside the checkout in
# BUNDLE_CACHE (default /var/cache/metalstore/bundle), keyed on recipe + builder code + source hash.
BUNDLE_CACHE ?= /var/cache/metalstore/bundle
export BUNDLE_CACHE

.PHONY: bundle bundle-verify bundle-test bundle-upstream-test bundle-k8s-test bundle-clean

bundle: ## Build the offline Kubernetes bundle from Debian sources (cached; cold ≈ 10 min); prints its path
	@bundle/build-from-source.sh

bundle-verify: ## Verify the cached from-source bundle's manifest (every sha256 and image digest)
	@python3 bundle/bundlectl.py verify "$$(bundle/build-from-source.sh)"

bundle-test: setup ## Build + verify the bundle, bad-input tests, from-upstream playbook against loopback stand-ins
	@scripts/test.sh bundle-build

bundle-k8s-test: setup ## Single-node Kubernetes from the bundle on a lab node (five checks), then teardown
	@scripts/test.sh bundle-kubernetes

bundle-clean: ## Remove cached bundles and build trees (next build is cold)
	@rm -rf "$(BUNDLE_CACHE)"
