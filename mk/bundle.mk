# Offline Kubernetes bundle (docs/bundle.md), built from published Go modules. Built components and bundles
# are cached outside the checkout in BUNDLE_CACHE (default /var/cache/metalstore/bundle), Go's module and
# build caches in METALSTORE_GO_CACHE (default /var/cache/metalstore/go), all keyed on their inputs.
BUNDLE_CACHE ?= /var/cache/metalstore/bundle
METALSTORE_GO_CACHE ?= /var/cache/metalstore/go
export BUNDLE_CACHE METALSTORE_GO_CACHE

.PHONY: bundle bundle-verify bundle-modules bundle-test bundle-k8s-test bundle-clean

bundle: ## Build the offline bundle from Go modules (cached; cold ≈ 20 min on 2 cores); prints its path
	@python3 bundle/build.py

bundle-verify: ## Verify the from-source bundle's manifest (every sha256 and image digest); prints its path
	@d="$$(python3 bundle/build.py)" && python3 bundle/bundlectl.py verify --quiet "$$d" && echo "$$d"

bundle-modules: ## Regenerate bundle/modules/ from bundle/recipe.toml and pin go.sum (needs the Go module proxy)
	@python3 bundle/gomod.py sync

bundle-test: setup ## Build + verify the bundle, bad-input tests, from-upstream playbook against loopback stand-ins
	@scripts/test.sh bundle-build

bundle-k8s-test: setup ## prepare.yml twice on a 4-node lab, then cluster.yml from the bundle, its checks and the VIP failover
	@scripts/test.sh lab-kubernetes

bundle-clean: ## Remove built components and bundles (Go caches stay; `rm -rf $(METALSTORE_GO_CACHE)` for a cold build)
	@rm -rf "$(BUNDLE_CACHE)"
