"""The one place that reaches into pytest's plugins by name (its terminal reporter and capture manager)."""

from __future__ import annotations

import pytest


def terminal_line(config: pytest.Config, text: str) -> None:
    """A line on pytest's terminal now, even while output is captured (live progress of a drill)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(text)
    else:
        reporter.write_line(text)


def hide_progress_percent(config: pytest.Config) -> None:
    """No `[100%]` after a drill's own progress lines: they say more, and the column lands alone."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and hasattr(reporter, "_show_progress_info"):
        reporter._show_progress_info = False
