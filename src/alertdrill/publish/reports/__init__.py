"""Reports render from the typed `Scorecard` (its JSON is the saved artifact): JSON, Markdown, HTML, JUnit."""

from alertdrill.publish.reports.writer import write_reports

__all__ = ["write_reports"]
