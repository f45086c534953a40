"""`alertdrill run`: build the plan (every file checked, exit 2 before anything is injected), then
either show it (`--dry-run`: preflight and reachability included) or hand it to the runner.
No pytest in between: the output is alertdrill's own."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from alertdrill.config import Settings
from alertdrill.drill.deployed import check_deployed
from alertdrill.drill.environment import Environment
from alertdrill.drill.plan import DrillPlan, Selection, build_plan
from alertdrill.drill.runner import ExitStatus, Runner
from alertdrill.errors import ConfigError, DrillError
from alertdrill.lab.fresh_groups import lab_owns_prometheus
from alertdrill.lab.reload import files_changed
from alertdrill.publish.console import LiveOutput, summary_lines
from alertdrill.publish.deliver import deliver
from alertdrill.publish.reports.writer import new_run_id
from alertdrill.sink.embedded import answers

_SAYING = threading.Lock()  # drills of a parallel run speak from their own threads


def say(message: str) -> None:
    """One whole line at a time (print writes the text and the newline separately)."""
    with _SAYING:
        sys.stdout.write(message + "\n")
        sys.stdout.flush()


def quiet(_message: str) -> None:
    return None


def run_command(
    settings: Settings, paths: list[str], scenarios: tuple[str, ...], dry_run: bool, show_progress: bool = True
) -> int:
    selection = Selection(tuple(Path(p) for p in paths), scenarios, settings.tags)
    plan = build_plan(settings, selection)
    if not plan.drills:
        where = ", ".join(paths) or str(settings.root / "drills")
        raise ConfigError(
            f"no drills to run in {where}" + (f" with --tags {settings.tags!r}" if settings.tags else ""),
            fix="add Scenario blocks to .feature files, or change --tags / --scenario",
        )
    output = LiveOutput(sys.stdout)
    progress = output if show_progress else quiet
    env = Environment(settings, progress=progress)
    if dry_run:
        return show_plan(plan, env)
    runner = Runner(plan, env, progress)
    outcome = runner.run()
    output.clear()
    if outcome.results:
        card = outcome.scorecard(new_run_id(outcome.started_at))
        run_dir = deliver(card, settings, plan.contact_groups, progress)
        print("\n".join(["", *summary_lines(card, run_dir)]), flush=True)
    status = outcome.exit_status()
    if status is ExitStatus.INTERRUPTED:
        print("alertdrill: interrupted; the drill's fault was reverted (see the scorecard)", file=sys.stderr)
    elif status is ExitStatus.USAGE:
        print(
            "alertdrill: preflight stopped every drill; nothing was injected (see `alertdrill lint`)", file=sys.stderr
        )
    return int(status)


def _live_preflight(plan: DrillPlan) -> DrillPlan:
    """What is live against the files (rules loaded, Alertmanager's configuration, the alerts' real labels)."""
    settings = plan.settings
    if settings.lab is not None and lab_owns_prometheus(settings) and files_changed(settings):
        print("lab: rule or route files changed; `run` reloads the lab first (live preflight not compared now)")
        return plan
    live = check_deployed(plan, say)
    for before, after in zip(plan.drills, live.drills, strict=True):
        for finding in after.blocked[len(before.blocked) :]:
            print(f"- {after.spec.name}: preflight stops it: {finding}")
        for note in after.notes:
            print(f"- {after.spec.name}: {note}")
    return live


def show_plan(plan: DrillPlan, env: Environment) -> int:
    """Every drill, its fault, budgets, the runbook steps it would run, and what preflight says."""
    from alertdrill.catalog.runbooks import load_runbooks

    books = load_runbooks(plan.settings.runbooks)
    print(f"{len(plan.drills)} drill(s), nothing will be injected (--dry-run):")
    for planned in plan.drills:
        drill = planned.spec
        budgets = ", ".join(f"{k} {v:g}s" for k, v in drill.budgets().items())
        print(f"- {drill.name}  ({drill.feature}:{drill.line})" + ("  [for people: @manual]" if drill.manual else ""))
        print(f"    fault {drill.fault}: {planned.injector.describe()}")
        print(f"    alert {drill.alert or '-'} -> contact group {drill.contact_group or '-'}; budgets: {budgets}")
        for book in books:
            if drill.alert and drill.alert in book.alerts:
                for step in book.steps:
                    if step.language == "sh":
                        print(f"    runbook sh step ({book.path.name}:{step.line}, {step.section}): {step.code}")
        for finding in planned.blocked:
            print(f"    preflight stops it: {finding}")
    env.require_reachable(sink=False)
    print("Prometheus and Alertmanager answer")
    plan = _live_preflight(plan)
    if plan.needs_sink:
        listen = plan.settings.sink_listen
        print(
            f"the sink answers at {listen}"
            if answers(f"http://{listen}")
            else f"nothing answers at {listen}: the run will serve the sink itself"
        )
    mailboxes_ok = check_mailboxes(plan, env)
    if any(p.blocked for p in plan.drills) or not mailboxes_ok:
        print("alertdrill: preflight would stop the drill(s) above; nothing was injected", file=sys.stderr)
        return int(ExitStatus.USAGE)
    return int(ExitStatus.PASSED)


def check_mailboxes(plan: DrillPlan, env: Environment) -> bool:
    """Log in to each IMAP mailbox the drills would read back (contact groups' `imap:`); False if one fails."""
    from alertdrill.drill.parts import mailbox_readers

    ok, seen = True, set()
    for planned in plan.drills:
        try:
            readers = mailbox_readers(planned.spec, env)
        except DrillError as exc:
            print(f"{planned.spec.name}: {exc}")
            ok = False
            continue
        for reader in readers:
            if reader.group not in seen:
                print(f"the mailbox of contact group {reader.group} answers: {reader.mailbox.shown}")
            seen.add(reader.group)
            reader.close()
    return ok
