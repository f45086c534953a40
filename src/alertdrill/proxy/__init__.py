"""The HTTP fault proxy: runs between a client (or Prometheus) and a target, faults switched remotely."""
