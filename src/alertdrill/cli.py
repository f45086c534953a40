"""`alertdrill run | lab | cleanup | lint | history | sink | proxy | steps | schedule | surprise | abort | serve`.

`run` builds the plan (every drill checked: one-line errors, exit 2, nothing injected) and hands it to
the runner, the same runner the pytest plugin's items call. Options come from `options.OPTIONS`.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alertdrill import __version__, options
from alertdrill.config import Settings, find_config, load_settings
from alertdrill.errors import AlertdrillError
from alertdrill.redact import redact

if TYPE_CHECKING:
    from alertdrill.lab.lab import Lab
    from alertdrill.schedule.jobs import Job

ABORT_WAIT_S = 30.0  # how long `alertdrill abort` waits to see the faults reverted


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(find_config(getattr(args, "config", None)))
    return settings.with_overrides(**options.from_arguments(vars(args)))


def cmd_run(args: argparse.Namespace) -> int:
    from alertdrill.cli_run import run_command

    chosen = options.from_arguments(vars(args))
    return run_command(
        _settings(args),
        args.paths,
        tuple(chosen.get("scenario", ())),  # type: ignore[arg-type]
        dry_run=bool(chosen.get("dry_run")),
        show_progress=not chosen.get("quiet"),
    )


def _lab_down_without_config(args: argparse.Namespace, problem: AlertdrillError) -> int:
    """`lab down` must work while the config is broken: stop what the lab's state (written by `lab up`
    in .alertdrill/) names, or else the pid files in the default lab folder."""
    from alertdrill import processes
    from alertdrill.lab.lab import down_from_state

    root = find_config(getattr(args, "config", None)).parent
    stopped = down_from_state(root / ".alertdrill")
    where = "the lab's state in .alertdrill/lab.json"
    if stopped is None:
        run_dir = root / ".lab" / "run"
        stopped = [pidfile.stem for pidfile in sorted(run_dir.glob("*.pid")) if processes.stop(pidfile)]
        where = f"the pid files in {run_dir}"
    for line in problem.one_line().splitlines():
        print(f"alertdrill: {line}", file=sys.stderr)
    print(
        f"lab down (the configuration is broken, so by {where}): stopped "
        f"{', '.join(stopped) or 'nothing (it was not running)'}"
    )
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from alertdrill.lab.lab import Lab

    try:
        settings = _settings(args)
    except AlertdrillError as exc:
        if args.action == "down":
            return _lab_down_without_config(args, exc)
        raise
    lab = Lab(settings)
    if args.action == "up":
        from alertdrill.catalog.paths import display_path

        took = lab.up(progress=lambda m: print(f"lab: {m}", flush=True))
        print(
            f"lab up in {took:.1f} s: Prometheus {settings.prometheus}, Alertmanager {settings.alertmanager}, "
            f"sink {settings.sink_url}; logs in {display_path(lab.config.dir / 'logs', Path.cwd())}"
        )
    elif args.action == "down":
        stopped = lab.down()
        print(f"lab down: stopped {', '.join(stopped) or 'nothing (it was not running)'}")
    elif args.action == "reload":
        from alertdrill.lab.reload import reload_lab

        alerts = reload_lab(settings)
        print(
            f"lab reloaded: Prometheus has loaded {len(alerts)} alerting rules; Alertmanager has the routes "
            f"of {settings.alertmanager_config.name if settings.alertmanager_config else 'its config'}"
        )
    elif args.action == "status":
        _lab_status(settings, lab)
    else:
        _lab_service(settings, args)
    return 0


def _lab_status(settings: Settings, lab: Lab) -> None:
    from alertdrill.faults.ledger import Ledger

    rows = lab.status()
    for name, address, state in rows:
        print(f"{name:16} {address:22} {state}")
    running = sum(state.startswith("running") for *_, state in rows)
    print(
        "lab is up"
        if running == len(rows)
        else "lab is down"
        if not running
        else f"lab is partly up ({running} of {len(rows)}): run `alertdrill lab up`"
    )
    entries = Ledger(settings.state_dir / "ledger").entries()
    for entry in entries:
        owner = "its run is still going" if entry.owner_alive else "its run is gone: `alertdrill cleanup` reverts it"
        print(f"fault injected now: {entry.fault} (drill {entry.drill!r}, pid {entry.pid}; {owner})")
    if not entries:
        print("no fault is injected now")


def _lab_service(settings: Settings, args: argparse.Namespace) -> None:
    from alertdrill.lab.services import LabServices

    services = LabServices(settings)
    if args.service_action == "start":
        print(f"{args.name}: running (pid {services.start(args.name)})")
    elif args.service_action == "heal":
        print(f"{args.name}: {services.heal(args.name)}")
    else:
        print(f"{args.name}: {'stopped' if services.stop(args.name) else 'was not running'}")


def cmd_cleanup(args: argparse.Namespace) -> int:
    from alertdrill.drill.environment import Environment

    env = Environment(_settings(args))
    outcomes = env.revert_orphans()
    for entry, outcome in outcomes:
        print(f"{entry.fault} (drill {entry.drill!r}, injected by pid {entry.pid}): {outcome}")
    running = [e for e in env.ledger.entries() if e.owner_alive]
    for entry in running:
        print(f"{entry.fault}: left alone, its run (pid {entry.pid}) is still going")
    if not outcomes and not running:
        print("nothing to clean up: no fault is left injected")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    """Static checks of rules, routes, contact groups, runbooks, budgets and coverage: 0 clean, 1 findings."""
    from alertdrill.lint import lint

    settings = _settings(args)
    report = lint(settings, [Path(p).absolute() for p in args.paths] or None)
    print(report.to_json() if args.format == "json" else report.to_text())
    return 0 if report.clean else 1


def cmd_history(args: argparse.Namespace) -> int:
    """Per alert and contact group: time to alert / locate / recover over time, and regressions."""
    from alertdrill.publish.history import History, history_report

    settings = _settings(args)
    history = History(args.db or settings.history_url)
    report = history_report(history.rows())
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report.to_text())
    return 0


def cmd_sink(args: argparse.Namespace) -> int:
    from alertdrill.sink.server import main as sink_main

    settings = _settings(args)
    smtp = args.smtp or settings.sink_smtp
    sink_main(["--listen", args.listen or settings.sink_listen] + (["--smtp", smtp] if smtp else []))
    return 0


def cmd_proxy(args: argparse.Namespace) -> int:
    from alertdrill.proxy.server import main as proxy_main

    print(f"fault proxy on {args.listen} -> {args.target}; faults are switched on by `type: http-proxy`", flush=True)
    proxy_main(["--listen", args.listen, "--target", args.target])
    return 0


def _on_sigterm(stop: Callable[[], None]) -> None:
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop())


def cmd_schedule(args: argparse.Namespace) -> int:
    """Run due drills (long-lived), list what runs when, or write Kubernetes CronJobs."""
    from alertdrill.schedule.clock import SystemClock
    from alertdrill.schedule.jobs import load_schedule
    from alertdrill.schedule.runner import SubprocessRunner
    from alertdrill.schedule.scheduler import Scheduler, upcoming

    settings = _settings(args)
    config = load_schedule(settings)
    if not config.jobs:
        raise AlertdrillError(
            "no schedules: nothing to run",
            path=settings.config_path,
            fix="add schedules: {jobs: {NAME: {cron: 'H 10 * * MON', drills: [...]}}} "
            "or tag a scenario @cron:H_10_*_*_MON",
        )
    if args.emit:
        return _emit_kubernetes(args, settings, config.jobs)
    if args.next:
        from alertdrill.schedule.listing import upcoming_table

        print("\n".join(upcoming_table(upcoming(config.jobs, SystemClock().now(), args.count))))
        return 0
    scheduler = Scheduler(
        config.jobs,
        SubprocessRunner(settings, settings.state_dir / "schedule" / "logs"),
        SystemClock(),
        max_parallel=config.max_parallel,
        say=lambda line: print(line, flush=True),
        record_file=settings.state_dir / "schedule" / "runs.jsonl",
    )
    _on_sigterm(scheduler.stop)
    print(
        f"alertdrill schedule: {len(config.jobs)} schedule(s), up to {config.max_parallel} drill(s) at once "
        "on distinct targets; SIGTERM stops (running drills revert first)",
        flush=True,
    )
    scheduler.run()
    print("alertdrill schedule: stopped", flush=True)
    return 0


def _emit_kubernetes(args: argparse.Namespace, settings: Settings, jobs: Sequence[Job]) -> int:
    import yaml

    from alertdrill.catalog.paths import display_path
    from alertdrill.schedule.kubernetes import manifests

    if not args.image:
        raise AlertdrillError(
            "--emit kubernetes needs --image",
            fix="build it from the Containerfile: podman build -t registry.example.com/drills:1 -f Containerfile .",
        )
    out = Path(args.out or settings.root / "deploy" / "cronjobs")
    out.mkdir(parents=True, exist_ok=True)
    docs = manifests(
        jobs, image=args.image, namespace=args.namespace, secret=args.secret, pushgateway=settings.pushgateway
    )
    for doc in docs:
        path = out / f"{doc['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        print(
            f"{display_path(path, Path.cwd())}: CronJob {doc['metadata']['name']} '{doc['spec']['schedule']}' "
            f"({doc['spec']['timeZone']})"
        )
    return 0


def cmd_surprise(args: argparse.Namespace) -> int:
    """Pick a drill and a moment at random (secret: audit log only), wait, run it for people."""
    from alertdrill.schedule.clock import SystemClock
    from alertdrill.schedule.runner import SubprocessRunner
    from alertdrill.schedule.surprise import SURPRISE_ENV, Surprise, load_surprise

    settings = _settings(args)
    config = load_surprise(settings)
    runner = SubprocessRunner(settings, config.audit_log.parent / "logs", env=SURPRISE_ENV)
    surprise = Surprise(
        config, settings, runner, SystemClock(), seed=args.seed, say=lambda line: print(line, flush=True)
    )
    _on_sigterm(surprise.stop)
    surprise.run(once=args.once)
    return 0


def cmd_abort(args: argparse.Namespace) -> int:
    """The kill switch: end every running drill of this project and revert its fault now."""
    import getpass

    from alertdrill.drill.environment import Environment
    from alertdrill.drill.killswitch import request_abort

    env = Environment(_settings(args))
    running = [e for e in env.ledger.entries() if e.owner_alive]
    if not running:
        print("no drill is running: nothing to abort")
        return 0
    from alertdrill.polling import poll_until

    by = args.by or getpass.getuser()
    for entry in running:
        request_abort(env.ledger, entry, by)
        print(f"kill switch pulled for {entry.drill!r} (fault {entry.fault}, run pid {entry.pid}) by {by}")
    ids = {e.id for e in running}
    if poll_until(lambda: not ids & {e.id for e in env.ledger.entries()}, ABORT_WAIT_S, 0.1):
        print("every aborted drill has reverted its fault")
        return 0
    print(f"not reverted within {ABORT_WAIT_S:g} s: run `alertdrill cleanup` once the run has ended", file=sys.stderr)
    return 1


def cmd_serve(args: argparse.Namespace) -> int:
    """The console: catalog, one-click drills with a confirmed plan, the live timeline, history."""
    from alertdrill.console.serve import serve_command

    return serve_command(_settings(args))


def _ask_alert(settings: Settings) -> str:
    from alertdrill.lint.scaffold import undrilled

    waiting = undrilled(settings)
    if not sys.stdin.isatty():
        raise AlertdrillError(
            "which alert? give it as `alertdrill new --alert NAME`",
            fix=f"alerts without a drill: {', '.join(waiting) or 'none'}",
        )
    print(f"alerts without a drill: {', '.join(waiting) or 'none'}")
    return input("alert to drill: ").strip()


def cmd_new(args: argparse.Namespace) -> int:
    """Scaffold a drill for an alert: its route's contact group, its runbook, a steady state and a fault."""
    from alertdrill.catalog.paths import display_path
    from alertdrill.lint.scaffold import plan_new, still_to_do, write

    settings = _settings(args)
    scaffold = plan_new(settings, args.alert or _ask_alert(settings), args.name)
    for path in write(scaffold, settings):
        verb = "added to" if path == settings.config_path else "wrote"
        print(f"{verb} {display_path(path, Path.cwd())}")
    todo = still_to_do(scaffold, load_settings(settings.config_path))
    if todo:
        print(f"fill in: {todo}")
        return 0
    shown = display_path(scaffold.feature, Path.cwd())
    print(f"lint is clean for it; next: alertdrill run --dry-run {shown}, then alertdrill run {shown}")
    return 0


def cmd_steps(_args: argparse.Namespace) -> int:
    """The whole grammar: each sentence with its {placeholders}, every variant, tags and durations."""
    from alertdrill.spec.grammar import PHRASES

    print("Sentences (And/But continue the keyword above; {placeholders} are yours, e.g. your own names):")
    for phrase in PHRASES:
        keyword = phrase.keyword.capitalize()
        for variant in ("", " by email", " by webhook") if "{channel}" in phrase.pattern else ("",):
            pattern = re.sub(r"\{(\w+):\w+\}", r"{\1}", phrase.pattern)  # {count:d} -> {count}
            print(f"  {keyword} {pattern.replace('{channel}', variant + ' ')}")
    print(
        "Durations ({budget}): a number and a unit: ms, s/sec/second(s), m/min/minute(s), h/hour(s);"
        " combined: 1m30s, '1 minute and 30 seconds'; e.g. 90 seconds, 1 minute, 5 minutes, 2s; at most 7 days."
        " A budget above the fault's max_duration is a lint error (above the mission: a warning)"
    )
    print(
        "Tags: @manual (a drill for people: locate is their acknowledgement), @cron:H_10_*_*_MON (a schedule),"
        " any other @tag selects drills with --tags or pytest -m"
    )
    print("Names: {service} under services: and {fault} under faults: in alertdrill.yml, {group} in the contact")
    print("groups file, {alert} an alerting rule, {runbook} a file under runbooks/. `alertdrill new` writes one.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="alertdrill", description="Prove an on-call setup works: drills as tests.")
    top.add_argument("--version", action="version", version=f"alertdrill {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text)
        options.add_arguments(cmd, name)
        return cmd

    run = command("run", "run drills and write the scorecard")
    run.add_argument("paths", nargs="*", metavar="PATH", help="feature files or folders (default drills/)")
    run.add_argument(
        "--no-preflight", dest="preflight", action="store_const", const="no", help="the same as --preflight no"
    )
    run.set_defaults(func=cmd_run)

    lab = command("lab", "the local lab: real Prometheus, Alertmanager, sink, demo services")
    lab.add_argument("action", choices=["up", "down", "status", "reload", "service"])
    lab.add_argument("service_action", nargs="?", choices=["start", "stop", "heal"], help="with `service`")
    lab.add_argument("name", nargs="?", help="with `service`: the lab service")
    lab.set_defaults(func=cmd_lab)

    command("cleanup", "revert every fault a crashed or killed run left behind").set_defaults(func=cmd_cleanup)
    lint = command("lint", "static checks of alerts, routes, runbooks, contact groups, budgets and drill coverage")
    lint.add_argument("paths", nargs="*", metavar="PATH", help="feature files or folders (default drills/)")
    lint.add_argument("--format", choices=["text", "json"], default="text", help="text for people, json for tools")
    lint.set_defaults(func=cmd_lint)
    history = command("history", "time to alert, locate and recover over time; regressions since the last run")
    history.add_argument("--db", metavar="URL", help="the same as --history")
    history.add_argument("--format", choices=["text", "json"], default="text")
    history.set_defaults(func=cmd_history)
    sink = command("sink", "run the webhook notification sink in the foreground")
    sink.add_argument("--listen", metavar="HOST:PORT", help="default: sink.listen of the configuration")
    sink.add_argument("--smtp", metavar="HOST:PORT", help="also receive email (SMTP) here")
    sink.set_defaults(func=cmd_sink)
    proxy = command("proxy", "run the HTTP fault proxy between a client (or a scrape) and a target")
    proxy.add_argument("--listen", required=True, metavar="HOST:PORT", help="e.g. 127.0.0.1:9111")
    proxy.add_argument("--target", required=True, metavar="URL", help="e.g. http://127.0.0.1:9102")
    proxy.set_defaults(func=cmd_proxy)
    command("steps", "list the drill sentences").set_defaults(func=cmd_steps)
    new = command("new", "scaffold a drill for an alert (its route, runbook, steady state and a fault)")
    new.add_argument("--alert", metavar="NAME", help="the alerting rule to drill (asked when omitted on a terminal)")
    new.add_argument("--name", metavar="NAME", help="the feature file's name under drills/ (default: from the alert)")
    new.set_defaults(func=cmd_new)
    schedule = command("schedule", "run drills on their schedules until SIGTERM (or list / emit them)")
    schedule.add_argument("--next", action="store_true", help="list what runs when, and exit")
    schedule.add_argument("--count", type=int, default=10, help="with --next: how many (default 10)")
    schedule.add_argument("--emit", choices=["kubernetes"], help="write CronJob manifests instead of running")
    schedule.add_argument("--image", help="with --emit: the image built from the Containerfile")
    schedule.add_argument("--namespace", default="alertdrill", help="with --emit (default alertdrill)")
    schedule.add_argument(
        "--secret", default="alertdrill", help="with --emit: Secret whose key history-url holds the shared history URL"
    )
    schedule.add_argument("--out", metavar="DIR", help="with --emit (default deploy/cronjobs/)")
    schedule.set_defaults(func=cmd_schedule)
    surprise = command("surprise", "run surprise drills for people at random allowed moments")
    surprise.add_argument("--seed", type=int, help="make the pick reproducible (it is written to the audit log)")
    surprise.add_argument("--once", action="store_true", help="stop after one surprise drill")
    surprise.set_defaults(func=cmd_surprise)
    abort = command("abort", "kill switch: end the running drill(s) and revert their fault now")
    abort.add_argument("--by", metavar="NAME", help="who pulls it (default: your user name)")
    abort.set_defaults(func=cmd_abort)
    command("serve", "the console: catalog, start and watch drills, kill switch, history").set_defaults(func=cmd_serve)
    return top


def _unraisable(info: sys.UnraisableHookArgs) -> None:
    """An exception Python could not raise (in a finalizer, a `__del__`): never a traceback on a
    user's screen. A Ctrl-C or SIGTERM lost this way still ends the run (drill/signals.py)."""
    logging.getLogger("alertdrill").debug("ignored in %r: %r", info.object, info.exc_value)


def main(argv: Sequence[str] | None = None) -> int:
    before, sys.unraisablehook = sys.unraisablehook, _unraisable
    try:
        return _main(argv)
    finally:
        sys.unraisablehook = before


def _main(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    if args.command == "lab" and args.action == "service" and not (args.service_action and args.name):
        print("alertdrill: usage: alertdrill lab service start|stop|heal NAME", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except AlertdrillError as exc:
        for line in exc.one_line().splitlines():
            print(f"alertdrill: {line}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("alertdrill: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `alertdrill lint --format json | head`: the reader has what it wanted
        from alertdrill.publish.console import silence

        silence(sys.stdout)  # the interpreter's last flush must not fail either
        return 0
    except Exception as exc:  # a bug: one line, never a traceback, never exit 0
        print(
            f"alertdrill: internal error ({type(exc).__name__}: {redact(str(exc))[:300]}); if a drill was "
            "running, `alertdrill cleanup` reverts what it left",
            file=sys.stderr,
        )
        return 1
