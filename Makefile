# MetalStore developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup setup-compat test lab-deploy lab-up lab-down bench

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: ## Create .venv (ansible-core 2.21) and install the dependency collections
	@scripts/setup.sh

setup-compat: ## Also create .venv-2.19 (ansible-core 2.19 on Python 3.11)
	@scripts/setup.sh compat

test: setup-compat ## Run every test stage (lint, sanity, units, integration, molecule, ...)
	@scripts/test.sh $(STAGES)

bench: setup ## Run the benchmarks in tests/benchmarks/
	@. scripts/lib.sh && use_venv && python tests/benchmarks/bucket_bench.py

lab-deploy: setup ## Main job: build the offline bundle (cached), bring up the local lab and deploy the platform onto it
	@bundle="$$(python3 bundle/build.py)" && $(MAKE) --no-print-directory lab-up && \
	  . scripts/lib.sh && use_venv && ansible-playbook -i inventories/lab lab/playbooks/site.yml -e "metalstore_bundle_dir=$$bundle"

# Topic makefiles (lab, bundle, ...) add their own targets.
-include mk/*.mk
