"""Observers turn what Prometheus, Alertmanager and the sink see into timeline events.

Each runs in its own thread until stopped; none sleeps on a fixed schedule beyond its poll
interval, and the sink observer is pushed arrivals through a long poll.
"""

from alertdrill.observe.watch import Watch, WatchTarget

__all__ = ["Watch", "WatchTarget"]
