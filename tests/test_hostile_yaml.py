"""Hostile and broken YAML: every file alertdrill reads either loads or fails with one line that names
`file:line` and a fix; never a traceback, never a hang, whatever the bytes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertdrill.errors import AlertdrillError, ConfigError
from alertdrill.yamlfile import ALIAS_BUDGET, MAX_DEPTH, load_yaml
from tests.conftest import REPO

VALID = (REPO / "alertdrill.yml").read_text()

BOMB = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
)


def write(tmp_path: Path, content: str | bytes, name: str = "alertdrill.yml") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(path: Path) -> ConfigError:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_yaml(path, what="configuration file")
    assert time.perf_counter() - started < 1.0
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:")
    return caught.value


def test_a_duplicate_key_names_the_second_key_and_the_first(tmp_path: Path) -> None:
    path = write(tmp_path, "prometheus: http://a\nsink:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n")
    error = refused(path)
    assert error.line == 4
    assert str(error) == (
        f"{path}:4: duplicate key 'listen' (first at line 3) (remove one of them: YAML keeps only the last, silently)"
    )


def test_a_duplicate_top_level_key_in_the_example_config_is_found(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "\nprometheus: http://127.0.0.1:1\n")
    error = refused(path)
    assert error.line == VALID.count("\n") + 2 and "duplicate key 'prometheus' (first at line" in str(error)


def test_a_billion_laughs_is_refused_in_milliseconds(tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)
    started = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - started < 0.2
    assert f"aliases expand the document by more than {ALIAS_BUDGET} nodes" in str(error)


def test_modest_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "base: &b {a: 1, b: 2}\nchild:\n  <<: *b\n  a: 3\nlist: [*b, *b]\n"))
    assert doc.data == {"base": {"a": 1, "b": 2}, "child": {"a": 3, "b": 2}, "list": [{"a": 1, "b": 2}] * 2}
    assert doc.line("child", "a") == 4


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a\n  b: *a\n"])
def test_an_alias_inside_itself_is_refused(tmp_path: Path, text: str) -> None:
    assert "an alias refers to the node that contains it" in str(refused(write(tmp_path, text)))


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    error = refused(write(tmp_path, b'prometheus: http://a\nsink: "\xff\xfe"\n'))
    assert str(error).endswith(":2: configuration file is not UTF-8 text (byte 0xff) (save it as UTF-8)")


def test_a_control_character_names_its_line(tmp_path: Path) -> None:
    error = refused(write(tmp_path, 'a: 1\nb: "x\x07"\n'))
    assert error.line == 2 and "control character" in str(error)


def test_tabs_for_indentation_say_so(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "sink:\n\tlisten: 127.0.0.1:9095\n"))
    assert error.line == 2 and "indent with spaces" in str(error)


@pytest.mark.parametrize(
    ("text", "what"),
    [("- a\n- b\n", "not a list"), ("just words\n", "not the single value"), ("42\n", "not the single value 42")],
)
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, what: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.line == 1 and "must be a mapping of `key: value` lines" in str(error) and what in str(error)


def test_an_empty_file_is_an_empty_document(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "")).data is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: 2001-02-30\n", 2, "day is out of range"),
        ("a: 1\nb: " + "9" * 5000 + "\n", 2, "integer string conversion"),
        ("a: 1\n? [x, y]\n: 1\n", 2, "unhashable key"),
        ("a: 1\n---\nb: 2\n", 2, "another document"),
        ("a: [1, 2\n", 2, "invalid YAML"),
        ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
    ],
)
def test_values_the_loader_cannot_build_are_one_line_errors(tmp_path: Path, text: str, line: int, words: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.line == line and words in str(error)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_deep_nesting_is_refused_quickly(tmp_path: Path, depth: int) -> None:
    error = refused(write(tmp_path, "a: " + "[" * depth + "]" * depth + "\n"))
    assert "nest" in str(error) and "flatten" in str(error)


def test_a_missing_file_and_a_folder_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"configuration file not found"):
        load_yaml(tmp_path / "absent.yml", what="configuration file")
    with pytest.raises(ConfigError, match=r"cannot read configuration file"):
        load_yaml(tmp_path, what="configuration file")


# -- a property: any mutation of a valid alertdrill.yml loads or fails in one line naming the file ----------

GARBAGE = st.sampled_from(
    [
        b"\xff",
        b"\x00",
        b"\t",
        b"&a",
        b"*a",
        b"*nope",
        b"<<: *a",
        b"!!binary x",
        b"[",
        b"{",
        b"}",
        b"]",
        b"'",
        b'"',
        b": ",
        b"- ",
        b"? ",
        b"---\n",
        b"...\n",
        b"%YAML 1.1\n",
        b"|\n",
        b"\xef\xbb\xbf",
        b"\r",
        b"\x85",
        b"\xe2\x80\xa8",
        b"#",
        b"@",
        b"`",
        b"1e999",
        b"-.inf",
    ]
)
VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "1.0e+308",
            ".nan",
            "-.inf",
            "9" * 4400,
            "~",
            "null",
            "true",
            "[]",
            "{}",
            "99999999 hours",
            "&x 1",
            "*x",
            "!!str",
            "2001-02-30",
            "0x_",
            "''",
        ]
    ),
    st.text(max_size=12).map(repr),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    lines = VALID.encode().split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["duplicate", "value", "garbage", "bomb", "drop"]))
        if kind == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[where])
        elif kind == "value" and b":" in lines[where]:
            lines[where] = lines[where].split(b":", 1)[0] + b": " + draw(VALUES).encode("utf-8", "replace")
        elif kind == "garbage":
            column = draw(st.integers(0, len(lines[where])))
            lines[where] = lines[where][:column] + draw(GARBAGE) + lines[where][column:]
        elif kind == "bomb":
            lines[where:where] = BOMB.encode().split(b"\n")
        elif len(lines) > 1:
            del lines[where]
    return b"\n".join(lines)


@settings(
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=mutated())
def test_any_mutation_of_a_valid_config_loads_or_fails_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, content)
    started = time.perf_counter()
    try:
        load_yaml(path, what="configuration file")
    except AlertdrillError as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message and message.startswith(str(path)), message
    assert time.perf_counter() - started < 1.0
