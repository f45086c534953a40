"""The notification sink: where Alertmanager webhook receivers deliver, for the harness to observe."""
