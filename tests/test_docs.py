"""The docs run: every page's examples are checked against the real code. `yaml` blocks are
alertdrill.yml snippets loaded by the real loader on top of the demo project's file (other YAML is
tagged `yml`); `gherkin` blocks compile with the real grammar (whole features against the demo
project); every `alertdrill X` in code is a command of the real parser; every option is listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alertdrill import cli, options
from alertdrill.catalog.contact_groups import ContactGroups
from alertdrill.config import KNOWN_KEYS, LAB_KEYS, SECTION_KEYS, load_settings
from alertdrill.spec import grammar
from alertdrill.spec.features import check_feature
from alertdrill.testing import Project, copy_project
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.M | re.S)
CODE = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"\balertdrill ([a-z][a-z-]*)")


def blocks(page: Path, language: str) -> list[str]:
    found = []
    for match in FENCE.finditer(page.read_text()):
        if match[2] == language:
            indent = len(match[1])
            found.append("\n".join(line[indent:] for line in match[3].splitlines()))
    return found


def examples(language: str) -> list[object]:
    return [
        pytest.param(text, id=f"{page.name}-{index}")
        for page in PAGES
        for index, text in enumerate(blocks(page, language))
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return copy_project(REPO, tmp_path_factory.mktemp("docs") / "demo")


def test_the_reference_pages_exist_and_the_readme_links_them() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("sentences", "config", "faults", "commands", "scorecard"):
        assert (REPO / "docs" / f"{name}.md").is_file() and f"docs/{name}.md" in readme
    assert "DESIGN.md" not in readme
    first_screen = "\n".join(readme.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen


@pytest.mark.parametrize("snippet", examples("yaml"))
def test_every_config_snippet_loads(snippet: str, demo: Project, tmp_path: Path) -> None:
    raw = yaml.safe_load((REPO / "alertdrill.yml").read_text())
    raw.update(yaml.safe_load(snippet))
    path = demo.root / f"snippet-{tmp_path.name}.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    load_settings(path, env={})  # raises, naming the line, when the docs are wrong


def _steps(text: str) -> list[tuple[str, str]]:
    """(keyword, sentence) of every step line, And/But continuing the keyword above."""
    steps, keyword = [], ""
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word in ("Given", "When", "Then"):
            keyword = word.lower()
        if word in ("Given", "When", "Then", "And", "But"):
            steps.append((keyword, rest))
    return steps


@pytest.mark.parametrize("text", examples("gherkin"))
def test_every_gherkin_example_compiles(text: str, demo: Project, tmp_path: Path) -> None:
    for keyword, sentence in _steps(text):
        assert grammar.match(keyword, sentence) is not None, f"{keyword} {sentence}"
    if "Feature:" in text:
        path = tmp_path / "example.feature"
        path.write_text(text + "\n")
        settings = demo.settings()
        compiled = check_feature(path, settings, ContactGroups.load(settings.contact_groups))
        assert [p.one_line() for p in compiled.problems] == []


def _commands() -> set[str]:
    choices = cli.parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert isinstance(choices, dict)
    return set(choices)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_named_exists(page: Path) -> None:
    text = page.read_text()
    code = CODE.findall(text) + [m[3] for m in FENCE.finditer(text) if m[2] == "sh"]
    named = {word for snippet in code for word in COMMAND.findall(snippet)}
    assert named or page.name not in ("README.md", "commands.md")
    assert named <= _commands(), named - _commands()


def test_every_option_is_listed_in_the_commands_page() -> None:
    page = (REPO / "docs" / "commands.md").read_text()
    for option in options.OPTIONS:
        assert option.env_var in page or not option.env, option.name
        assert option.flag in page or not option.commands, option.name


def test_every_config_key_is_named_in_the_config_page() -> None:
    page = (REPO / "docs" / "config.md").read_text()
    keys = set(KNOWN_KEYS) | set(LAB_KEYS) | {k for known in SECTION_KEYS.values() for k in known}
    missing = sorted(key for key in keys if not re.search(rf"\b{key}:", page))
    assert missing == []
