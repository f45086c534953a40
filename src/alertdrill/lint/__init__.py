"""Static checks of a drill repository: rules, routes, contact groups, runbooks, budgets, coverage.

`Repository` reads every file once; each `*_checks` module turns it into `Finding`s; `report`
gathers them with the route table, budget arithmetic and coverage; `preflight` picks the findings
that stop one drill before its fault is injected.
"""

from alertdrill.lint.findings import Finding
from alertdrill.lint.preflight import preflight
from alertdrill.lint.report import LintReport, lint

__all__ = ["Finding", "LintReport", "lint", "preflight"]
