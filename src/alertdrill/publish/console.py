"""The scorecard in a few terminal lines: one per drill, its phases against their budgets, the verdict."""

from __future__ import annotations

from pathlib import Path

from alertdrill.score.scorecard import PhaseResult, Scorecard


def _phase(name: str, phase: PhaseResult) -> str:
    if not phase.ran:
        return f"{name} not run"
    return f"{name} {phase.elapsed_s if phase.elapsed_s is not None else '-'}/{phase.budget_s:g}s"


def summary_lines(card: Scorecard, run_dir: Path | None) -> list[str]:
    lines = []
    for result in card.drills:
        phases = "  ".join(_phase(name, p) for name, p in result.phases.items())
        lines.append(f"{result.status.upper():7} {result.name}  {phases}".rstrip())
        if result.status != "passed":
            lines.append(f"        {result.verdict()}")
    if run_dir is not None:
        lines.append(
            f"scorecard: {run_dir / 'scorecard.json'} (also scorecard.md, scorecard.html, junit.xml, "
            f"alertdrill.prom; {run_dir.parent / 'latest'} is the newest run)"
        )
    return lines
