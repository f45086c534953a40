"""Reports render from the scorecard (JSON is the source): JSON, Markdown."""

from alertdrill.publish.reports.writer import write_reports

__all__ = ["write_reports"]
