# Local lab: disposable bare-metal-like nodes (systemd in rootful podman). See docs/lab.md.
# Parameters (make variables or environment): LAB_NAME, LAB_NODES, LAB_SUBNET, LAB_DISKS, LAB_DISK_SIZE.
LAB_NAME ?= metalstore
LAB_NODES ?= 4
LAB_SUBNET ?= 10.213.0.0/24
LAB_DISKS ?= 1
LAB_DISK_SIZE ?= 2G
export LAB_NAME LAB_NODES LAB_SUBNET LAB_DISKS LAB_DISK_SIZE

.PHONY: lab-up lab-down lab-status lab-image lab-plan

lab-up: ## Bring up the lab (LAB_NODES nodes, default 4) and write inventories/lab/hosts.yml; no-op if up
	@lab/labctl up

lab-down: ## Remove the lab completely (containers, network, volumes, loop disks, iptables chains)
	@lab/labctl down

lab-status: ## Show lab nodes, addresses, systemd state and data disks
	@lab/labctl status

lab-image: ## Build/import the node image (only when missing or its recipe changed)
	@lab/labctl image

lab-plan: ## Validate the LAB_* parameters and print the nodes that lab-up would create
	@lab/labctl plan
