"""What history says: per alert and per contact group, time to alert / locate / recover (median, p90,
last), and which drills regressed since their previous run."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from alertdrill.publish.history.schema import PHASES
from alertdrill.publish.history.store import DrillRow, injected_runs
from alertdrill.score.scorecard import PhaseResult

MEASURED = {"alert": "time to alert", "locate": "time to locate", "recover": "time to recover"}
SLOWER_FACTOR, SLOWER_MIN_S = 1.5, 1.0  # a phase "regressed" when 50% and 1 s slower than last time


@dataclass(frozen=True)
class Stats:
    runs: int
    median_s: float | None
    p90_s: float | None
    last_s: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"runs": self.runs, "median_s": self.median_s, "p90_s": self.p90_s, "last_s": self.last_s}


def stats(values: list[float | None]) -> Stats:
    known = sorted(v for v in values if v is not None)
    if not known:
        return Stats(len(values), None, None, values[-1] if values else None)
    rank = max(0, min(len(known) - 1, round(0.9 * len(known) + 0.5) - 1))  # nearest-rank p90
    return Stats(len(values), round(statistics.median(known), 3), round(known[rank], 3), values[-1])


@dataclass(frozen=True)
class Regression:
    drill: str
    run_id: str
    previous_run_id: str
    what: str

    def to_dict(self) -> dict[str, str]:
        return {"drill": self.drill, "run_id": self.run_id, "previous_run_id": self.previous_run_id, "what": self.what}


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


@dataclass(frozen=True)
class HistoryReport:
    runs: int  # runs that injected at least one fault (the only ones counted)
    by_alert: dict[str, dict[str, Stats]] = field(default_factory=dict)
    by_contact_group: dict[str, dict[str, Stats]] = field(default_factory=dict)
    regressions: list[Regression] = field(default_factory=list)
    runs_not_injected: int = 0  # runs every drill of which stopped before injecting: left out
    last_run: list[DrillRow] = field(default_factory=list)  # the newest counted run's drills
    drills_not_injected: int = 0  # drills of counted runs that stopped before injecting: left out too

    def to_dict(self) -> dict[str, object]:
        def table(part: Mapping[str, Mapping[str, Stats]]) -> dict[str, dict[str, object]]:
            return {k: {m: s.to_dict() for m, s in v.items()} for k, v in part.items()}

        return {
            "runs": self.runs,
            "runs_not_injected": self.runs_not_injected,
            "drills_not_injected": self.drills_not_injected,
            "by_alert": table(self.by_alert),
            "by_contact_group": table(self.by_contact_group),
            "regressions": [r.to_dict() for r in self.regressions],
            "last_run": [
                {
                    "run_id": r.run_id,
                    "drill": r.drill,
                    "status": r.status,
                    "phases": {name: _phase_dict(p) for name, p in r.phases.items()},
                }
                for r in self.last_run
            ],
        }

    def to_text(self) -> str:
        skipped = f" ({self.runs_not_injected} more injected nothing: not counted)" if self.runs_not_injected else ""
        lines = [f"{self.runs} run(s) in history{skipped}"]
        if self.drills_not_injected:
            lines.append(f"{self.drills_not_injected} drill(s) of these runs stopped before injecting: not counted")
        lines.append("Times are seconds from the fault's injection; runs: the drills that injected it.")
        for title, part in (("alert", self.by_alert), ("contact group", self.by_contact_group)):
            lines += ["", f"{'per ' + title:<28} {'measure':<16} {'runs':>4} {'median':>9} {'p90':>9} {'last':>9}"]
            for key, measures in part.items():
                for measure, s in measures.items():
                    lines.append(
                        f"{key:<28} {measure:<16} {s.runs:>4} {fmt(s.median_s):>9} {fmt(s.p90_s):>9} {fmt(s.last_s):>9}"
                    )
        lines += self._last_run_lines()
        lines += ["", f"Regressions since the previous run: {len(self.regressions) or 'none'}"]
        lines += [f"  {r.drill}: {r.what} (run {r.run_id}, before {r.previous_run_id})" for r in self.regressions]
        return "\n".join(lines)

    def _last_run_lines(self) -> list[str]:
        """The newest run, a phase per column: seconds from injection (`missed`: never completed)."""
        if not self.last_run:
            return []
        width = max(len("drill"), *(len(row.drill) for row in self.last_run))
        lines = [
            "",
            f"Last run {self.last_run[0].run_id} (seconds from injection; missed: never within the budget)",
            f"{'drill':<{width}} {'status':<7} " + " ".join(f"{phase:>9}" for phase in PHASES),
        ]
        for row in self.last_run:
            cells = [
                "-"
                if p is None
                else "not run"
                if not row.injected
                else "missed"
                if p.elapsed_s is None
                else fmt(p.elapsed_s)
                for p in (row.phases.get(phase) for phase in PHASES)
            ]
            lines.append(f"{row.drill:<{width}} {row.status:<7} " + " ".join(f"{c:>9}" for c in cells))
        return lines


def _cell(row: DrillRow, phase: PhaseResult | None) -> str:
    if phase is None:
        return "-"
    if not row.injected:
        return "not run"
    return "missed" if phase.elapsed_s is None else fmt(phase.elapsed_s)


def _grouped(rows: list[DrillRow], key: str) -> dict[str, dict[str, Stats]]:
    """Per alert or contact group, each measure over the drills that injected their fault (one that
    stopped before says nothing about the alert path, even in a run where others ran)."""
    values: dict[str, dict[str, list[float | None]]] = {}
    for row in rows:
        name = getattr(row, key)
        if not name or not row.injected:
            continue
        for phase, measure in MEASURED.items():
            if phase in row.phases:  # only drills that time this phase
                values.setdefault(name, {}).setdefault(measure, []).append(row.elapsed(phase))
    return {name: {m: stats(v) for m, v in measures.items()} for name, measures in sorted(values.items())}


def _regressions(rows: list[DrillRow]) -> list[Regression]:
    found = []
    latest_run = rows[-1].run_id if rows else None
    by_drill: dict[str, list[DrillRow]] = {}
    for row in rows:
        by_drill.setdefault(row.drill, []).append(row)
    for drill, history in by_drill.items():
        if len(history) < 2 or history[-1].run_id != latest_run:
            continue
        before, now = history[-2], history[-1]
        if before.status == "passed" and now.status != "passed":
            found.append(Regression(drill, now.run_id, before.run_id, f"was passed, now {now.status}"))
            continue
        for phase, measure in MEASURED.items():
            old, new = before.elapsed(phase), now.elapsed(phase)
            if old is not None and new is not None and new > old * SLOWER_FACTOR and new - old > SLOWER_MIN_S:
                found.append(Regression(drill, now.run_id, before.run_id, f"{measure} {new:.2f} s, was {old:.2f} s"))
    return found


def history_report(rows: list[DrillRow]) -> HistoryReport:
    """The trends over the runs that injected something (`rows` oldest first, as `History.rows()`)."""
    counted = injected_runs(rows)
    run_ids = {r.run_id for r in counted}
    last = [r for r in counted if r.run_id == counted[-1].run_id] if counted else []
    return HistoryReport(
        len(run_ids),
        _grouped(counted, "alert"),
        _grouped(counted, "contact_group"),
        _regressions(counted),
        len({r.run_id for r in rows} - run_ids),
        last,
        sum(not r.injected for r in counted),
    )


def _phase_dict(phase: PhaseResult) -> dict[str, object]:
    """A phase as history keeps it (no `ran`: history stores what was measured)."""
    return {"budget_s": phase.budget_s, "elapsed_s": phase.elapsed_s, "passed": phase.passed}
