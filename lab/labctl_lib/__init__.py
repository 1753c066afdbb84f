"""Local lab of disposable bare-metal-like hosts: systemd in rootful podman containers."""
