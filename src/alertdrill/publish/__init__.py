"""The publish stage: everything made from a finished scorecard (reports, metrics, history, summaries)."""
