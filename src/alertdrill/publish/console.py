"""The scorecard in a few terminal lines: one per drill, its phases against their budgets, the verdict."""

from __future__ import annotations

from pathlib import Path

from alertdrill.score.scorecard import Scorecard


def summary_lines(card: Scorecard, run_dir: Path | None) -> list[str]:
    lines = []
    for result in card.drills:
        phases = "  ".join(
            f"{name} {p.elapsed_s if p.elapsed_s is not None else '-'}/{p.budget_s:g}s"
            for name, p in result.phases.items()
        )
        lines.append(f"{result.status.upper():7} {result.name}  {phases}".rstrip())
        if result.status != "passed":
            lines.append(f"        {result.verdict()}")
    if run_dir is not None:
        lines.append(
            f"scorecard: {run_dir / 'scorecard.json'} (also scorecard.md, scorecard.html, junit.xml, "
            f"alertdrill.prom; {run_dir.parent / 'latest'} is the newest run)"
        )
    return lines
