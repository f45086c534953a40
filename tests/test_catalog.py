"""Reading the repository's files: runbooks, contact groups, configuration precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.catalog.runbooks import parse_runbook, runbook_for_url, runbook_problem
from alertdrill.config import load_settings
from alertdrill.errors import ConfigError, SpecError
from tests.conftest import REPO


def test_runbook_front_matter_sections_and_steps_with_lines() -> None:
    book = parse_runbook(REPO / "runbooks" / "payments-api-down.md")
    assert (book.title, book.alerts, book.contact_group) == (
        "Payments API down",
        ("PaymentsApiDown",),
        "payments-oncall",
    )
    assert book.sections == ("diagnose", "remediate")
    diagnose, remediate = book.steps
    assert (diagnose.section, diagnose.language, diagnose.code) == ("diagnose", "promql", 'up{job="payments-api"} == 0')
    assert (remediate.language, remediate.code) == ("sh", "alertdrill lab service start payments-api")
    lines = (REPO / "runbooks" / "payments-api-down.md").read_text().splitlines()
    assert lines[diagnose.line - 1] == diagnose.code


def test_fenced_blocks_outside_the_sections_or_untagged_are_for_people(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text(
        "# R\n```sh\nrm -rf /\n```\n## Diagnose\n```\nnot tagged\n```\n```promql\nup == 0\n```\n"
        "## Notes\n```sh\necho no\n```\n"
    )
    assert [(s.section, s.code) for s in parse_runbook(path).steps] == [("diagnose", "up == 0")]


def test_runbook_problems_are_said_in_words(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "ok.md").write_text("# ok\n## Diagnose\n```promql\nup\n```\n")
    (folder / "thin.md").write_text("# thin\n## Remediate\n")
    assert runbook_problem(folder, tmp_path, "runbooks/ok.md") is None
    assert runbook_problem(folder, tmp_path, "ok.md") is None
    assert "no `## Diagnose` section" in (runbook_problem(folder, tmp_path, "runbooks/thin.md") or "")
    assert "is not a runbook under runbooks/" in (runbook_problem(folder, tmp_path, "runbooks/gone.md") or "")
    (tmp_path / "outside.md").write_text("# x\n## Diagnose\n")
    assert runbook_problem(folder, tmp_path, "outside.md") is not None


def test_contact_groups_map_receivers_both_ways() -> None:
    groups = ContactGroups.load(REPO / "notifiers" / "contact-groups.yml")
    assert groups.receiver("payments-oncall") == "payments-oncall"
    assert groups.group_of("sre-default") == "sre"
    assert groups.group_of("nobody") is None


def test_contact_group_without_receiver_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "groups.yml"
    path.write_text("a:\n  receiver: r\nb:\n  notify: []\n")
    with pytest.raises(ConfigError, match=r"groups.yml:3: contact group 'b' names no receiver"):
        ContactGroups.load(path)


def test_environment_variables_override_the_file_and_options_override_both() -> None:
    env = {"ALERTDRILL_PROMETHEUS": "http://127.0.0.1:19090", "ALERTDRILL_POLL_INTERVAL": "0.5"}
    settings = load_settings(REPO / "alertdrill.yml", env=env)
    assert settings.prometheus == "http://127.0.0.1:19090" and settings.poll_interval_s == 0.5
    assert settings.alertmanager == "http://127.0.0.1:9093"  # from the file
    assert settings.with_overrides(prometheus="http://127.0.0.1:29090").prometheus == "http://127.0.0.1:29090"
    assert settings.root == REPO and settings.runbooks == REPO / "runbooks"


def test_a_bad_url_is_refused_with_an_example(tmp_path: Path) -> None:
    path = tmp_path / "alertdrill.yml"
    path.write_text("prometheus: localhost:9090\n")
    with pytest.raises(ConfigError, match=r"alertdrill.yml:1: prometheus: 'localhost:9090' is not an http\(s\) URL"):
        load_settings(path, env={})


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("---\nalerts: [A\n---\n# r\n", 3, "front matter is not valid YAML"),
        ("---\nalerts: [A]\n# r\n## Diagnose\n", 1, "front matter opened here is never closed"),
        ("---\ncontact_group: x\nalerts: {A: 1}\n---\n# r\n", 3, "`alerts` must be a list"),
        ("---\n- a\n---\n# r\n", 2, "front matter must be a mapping"),
    ],
)
def test_a_broken_front_matter_names_the_runbook_and_line(tmp_path: Path, text: str, line: int, says: str) -> None:
    path = tmp_path / "r.md"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        parse_runbook(path)
    assert caught.value.one_line().startswith(f"{path}:{line}: ") and says in str(caught.value)


def test_a_link_maps_to_the_runbook_whose_path_it_ends_with(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    (folder / "db").mkdir(parents=True)
    for name in ("down.md", "db/down.md"):
        (folder / name).write_text("# x\n## Diagnose\n")
    assert runbook_for_url(folder, "https://wiki/oncall/runbooks/down.md") == folder / "down.md"
    assert runbook_for_url(folder, "https://wiki/oncall/runbooks/db/down.md?plain=1") == folder / "db" / "down.md"
    assert runbook_for_url(folder, "https://wiki/oncall/runbooks/slowdown.md") is None
    assert runbook_for_url(folder, "down.md") == folder / "down.md"
