"""The local lab: real Prometheus and Alertmanager, the notification sink and demo services, on loopback.

`processes` starts and stops detached processes with pid files; `configs` writes the effective
Prometheus/Alertmanager configuration; `readiness` decides when the lab is usable; `services`
manages the demo services; `lab` wires them into up/down/status.
"""
