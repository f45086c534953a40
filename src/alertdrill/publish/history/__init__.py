"""Every run's scorecard kept in a database (SQLite in the project by default, any SQLAlchemy URL,
e.g. PostgreSQL, for a team-wide store), and the trends read back from it."""

from alertdrill.publish.history.store import History
from alertdrill.publish.history.trends import HistoryReport, history_report

__all__ = ["History", "HistoryReport", "history_report"]
