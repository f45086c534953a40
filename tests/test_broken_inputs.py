"""Hundreds of broken inputs, generated from a valid project (tests/broken_corpus.py), and what
`alertdrill run` does with each: exit 2, one line per problem on stderr, each naming the broken file (and its line),
no traceback, and the marker fault never injected. Each rejection's time is measured and reported
at the end of the module (not asserted: the machine is shared)."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertdrill.cli import main
from tests.broken_corpus import CONFIG, FEATURE, MARKER, Case, base_project, cases
from tests.conftest import alertdrill

CASES = cases()
TIMES: dict[str, float] = {}

# Holes in code this corpus may not change (reported, not fixed here): case-id prefix -> where.
# Refusals that name no file:line, from code this corpus may not change (see KNOWN_HOLES).
KNOWN_HOLE_MESSAGES = {
    "is not in kubernetes.allowed_contexts": "faults/kubernetes.py allowed_context: the refusal names neither "
    "alertdrill.yml nor the fault's line",
}
PROXY_URL = "faults/http_proxy.py HttpProxyFault.from_config: `proxy` is not checked to be an http(s) URL"
PUSHGATEWAY_URL = "faults/metric.py MetricFault.from_config: `pushgateway` is not checked to be an http(s) URL"
KNOWN_HOLES: dict[str, str] = {}  # every hole the corpus found is fixed; a new one is named here


def _hole(case: Case) -> str:
    return next((where for prefix, where in KNOWN_HOLES.items() if case.id.startswith(prefix)), "")


def _param(case: Case) -> object:
    where = _hole(case)
    marks = [pytest.mark.xfail(strict=True, reason=f"known hole in {where}")] if where else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    yield base_project(tmp_path_factory.mktemp("corpus") / "base")
    if TIMES:
        slowest = max(TIMES, key=TIMES.__getitem__)
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        line = (
            f"broken-input corpus: {len(TIMES)} rejections timed, max {TIMES[slowest] * 1000:.0f} ms "
            f"({slowest}), mean {sum(TIMES.values()) / len(TIMES) * 1000:.0f} ms"
        )
        if reporter is not None:
            reporter.write_line(line)
        (Path(str(tmp_path_factory.getbasetemp())) / "corpus-times.txt").write_text(
            line + "\n" + "".join(f"{t * 1000:8.1f} ms  {k}\n" for k, t in sorted(TIMES.items(), key=lambda i: -i[1]))
        )


def prepare(base: Path, case: Case, dest: Path) -> Path:
    shutil.copytree(base, dest, symlinks=True, copy_function=os.link)  # mutations replace files, never edit
    case.mutate(dest)
    return dest


def check_refused(case: Case, root: Path, code: object, out: str, err: str) -> None:
    assert "Traceback" not in out + err, err
    assert code == 2, f"exit {code}: {err or out}"
    lines = err.strip().splitlines()  # one line per problem (every problem at once), each naming the file
    assert lines, out
    named = re.escape(str(root / case.file)) + (r":\d+\b" if case.line else "")
    for line in lines:
        assert re.search(named, line), f"does not name {case.file}{':LINE' if case.line else ''}: {line}"
        assert "unreachable" not in line, line
    assert not (root / MARKER).exists(), "the marker fault was injected"


def run_in_process(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str, float]:
    capsys.readouterr()
    started = time.perf_counter()
    try:
        code: object = main(["run", "--config", str(root / CONFIG)])
    except SystemExit as exc:
        code = exc.code
    took = time.perf_counter() - started
    captured = capsys.readouterr()
    return code, captured.out, captured.err, took


def test_the_corpus_is_big_enough_and_covers_every_kind() -> None:
    categories = {c.category.split(":")[0] for c in CASES}
    assert len(CASES) >= 300
    assert {"config", "contact groups file", "runbook front matter", "feature file", "fault options"} <= categories


def test_the_base_project_is_valid(base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a mutation, the run gets past validation (to the unreachable Prometheus): so each case's
    refusal is its mutation's doing."""
    root = tmp_path / "p"
    shutil.copytree(base, root)
    code, _out, err, _ = run_in_process(root, capsys)
    assert code == 2 and "Prometheus at" in err and "unreachable" in err, err
    assert not (root / MARKER).exists()


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_a_broken_input_is_refused_in_one_line(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    root = prepare(base, case, tmp_path / "p")
    code, out, err, took = run_in_process(root, capsys)
    TIMES[case.id] = took
    check_refused(case, root, code, out, err)


def _sample() -> list[Case]:
    """The first case of each kind of file, plus every 150th: run as real processes."""
    seen: set[str] = set()
    chosen = []
    for index, case in enumerate(CASES):
        if _hole(case):
            continue
        kind = case.category.split(":")[0]
        if kind not in seen or index % 300 == 0:
            seen.add(kind)
            chosen.append(case)
    return chosen


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in _sample()])
def test_a_broken_input_is_refused_by_the_real_command(base: Path, tmp_path: Path, case: Case) -> None:
    root = prepare(base, case, tmp_path / "p")
    done = alertdrill("run", "--config", str(root / CONFIG), timeout=60)
    check_refused(case, root, done.returncode, done.stdout, done.stderr)


# -- property: random mutations of a feature file or of alertdrill.yml --------------------------

BROKEN_FEATURE_EDITS = ("keyword", "stray-line", "duration", "unknown-name")
TEXT_EDITS = ("drop-line", "duplicate-line", "swap-lines", "replace-char", "insert-text", "truncate")


def _broken_feature(data: st.DataObject, text: str) -> str:
    """`text` (the good feature) with one edit that must make it wrong."""
    lines = text.splitlines()
    steps = [i for i, line in enumerate(lines) if line.strip().split(" ")[0] in ("Given", "When", "Then", "And")]
    index = data.draw(st.sampled_from(steps), label="step")
    edit = data.draw(st.sampled_from(BROKEN_FEATURE_EDITS), label="edit")
    word = data.draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), label="word")
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    keyword, _, sentence = (lines[index].strip()).partition(" ")
    if edit == "keyword":
        lines[index] = f"{indent}{word.capitalize()}x {sentence}"  # never a Gherkin keyword
    elif edit == "stray-line":
        lines.insert(index + 1, f"{indent}{word} is not a step")
    elif edit == "duration":
        lines[index] = f'{indent}Then the alert "PaymentsApiDown" fires within {word}x'  # no unit ends in x
    else:
        lines[index] = f'{indent}{keyword} the fault "zz-{word}" is injected'
    return "\n".join(lines) + "\n"


def _broken_config(data: st.DataObject, raw: dict[str, object]) -> None:
    """`raw` with an unknown key at some level, or a known key given a value of a wrong kind."""
    from tests.broken_corpus import CLOSED_SECTIONS, CONFIG_KINDS, WRONG, _set

    if data.draw(st.booleans(), label="unknown key"):
        section = data.draw(st.sampled_from(CLOSED_SECTIONS), label="section")
        key = "zz_" + data.draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10), label="key")
        _set(raw, (*section, key), data.draw(st.sampled_from([1, "x", [1], {"a": 1}]), label="value"))
    else:
        keys, kind = data.draw(st.sampled_from(sorted(CONFIG_KINDS.items())), label="key")
        _set(raw, keys, data.draw(st.sampled_from(WRONG[kind]), label="value"))


def _edited(data: st.DataObject, text: str) -> str:
    """`text` with one blind edit: it may or may not still be valid."""
    lines = text.splitlines(keepends=True)
    edit = data.draw(st.sampled_from(TEXT_EDITS), label="text edit")
    at = data.draw(st.integers(0, len(lines) - 1), label="line")
    if edit == "drop-line":
        del lines[at]
    elif edit == "duplicate-line":
        lines.insert(at, lines[at])
    elif edit == "swap-lines":
        other = data.draw(st.integers(0, len(lines) - 1), label="other line")
        lines[at], lines[other] = lines[other], lines[at]
    elif edit == "replace-char" and lines[at].strip():
        column = data.draw(st.integers(0, len(lines[at].rstrip("\n")) - 1), label="column")
        char = data.draw(st.characters(codec="utf-8", exclude_categories=["Cs"]), label="char")
        lines[at] = lines[at][:column] + char + lines[at][column + 1 :]
    elif edit == "insert-text":
        lines.insert(at, data.draw(st.text(max_size=40), label="text") + "\n")
    elif edit == "truncate":
        return "".join(lines)[: data.draw(st.integers(0, len(text)), label="length")]
    return "".join(lines)


@settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mutation_is_refused_in_one_line_or_is_harmless(
    base: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    """A mutation that must break the file is refused, every line naming it; a blind edit is either refused
    (one line per broken file, each naming file and line: an edit of alertdrill.yml may break every
    feature file) or leaves a valid project (the run then stops at the unreachable Prometheus). Never a
    traceback, never an injection."""
    root = tmp_path_factory.mktemp("mutant") / "p"
    shutil.copytree(base, root, symlinks=True, copy_function=os.link)
    target = data.draw(st.sampled_from([FEATURE, CONFIG]), label="file")
    must_break = data.draw(st.booleans(), label="must break")
    path = root / target
    text = path.read_text()
    if must_break and target == FEATURE:
        new = _broken_feature(data, text)
    elif must_break:
        raw = yaml.safe_load(text)
        _broken_config(data, raw)
        new = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    else:
        new = _edited(data, text)
    path.unlink()
    path.write_text(new, encoding="utf-8", errors="surrogatepass")
    code, out, err, took = run_in_process(root, capsys)
    TIMES[f"property-{len(TIMES)}"] = took
    if must_break:
        check_refused(Case("property", "property", target, lambda _root: None), root, code, out, err)
        return
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in out + err and lines, err
    assert not (root / MARKER).exists(), "the marker fault was injected"
    if "unreachable" in err:  # the edit left a valid project
        assert len(lines) == 1, err
    else:  # refused: a broken config is one line; broken feature files are one line each, naming file and line
        assert all(
            re.search(re.escape(str(root)) + r"/\S+:\d+\b", line) or any(m in line for m in KNOWN_HOLE_MESSAGES)
            for line in lines
        ), err
