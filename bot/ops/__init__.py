"""Running Hearth as a service: health, the /healthz and /metrics endpoint, a clean stop."""
