from __future__ import annotations

import pytest

from alertdrill.durations import parse_duration
from alertdrill.spec import grammar
from alertdrill.spec.model import AlertFires, ReachesContactGroup, SteadyState


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 minute", 60),
        ("90 seconds", 90),
        ("5 minutes", 300),
        ("10 minutes", 600),
        ("1m30s", 90),
        ("2.5 min", 150),
        ("1 minute 30 seconds", 90),
        ("1 hour", 3600),
        ("500ms", 0.5),
        ("3 s", 3),
    ],
)
def test_durations_people_write_are_understood(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 parsecs", "0 seconds", "minute"])
def test_non_durations_are_rejected_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|zero"):
        parse_duration(text)


def test_contract_sentences_compile_to_steps() -> None:
    phrase, args = grammar.match("given", 'the service "payments-api" is healthy') or (None, {})
    assert phrase is not None and phrase.build(args, 3) == SteadyState("payments-api", 3)
    phrase, args = grammar.match("then", 'the alert "PaymentsApiDown" fires within 1 minute') or (None, {})
    assert phrase is not None and phrase.build(args, 0) == AlertFires("PaymentsApiDown", 60.0)
    phrase, args = grammar.match("then", 'the alert reaches the contact group "payments-oncall" within 90 seconds') or (
        None,
        {},
    )
    assert phrase is not None and phrase.build(args, 0) == ReachesContactGroup("payments-oncall", 90.0)


def test_a_sentence_under_the_wrong_keyword_does_not_match_but_is_recognised() -> None:
    assert grammar.match("given", 'the fault "x" is injected') is None
    assert grammar.keyword_of('the fault "x" is injected') == "when"


def test_closest_phrase_is_suggested_for_a_typo() -> None:
    assert (
        grammar.closest('the alert "X" fire within 1 minute') == 'Then the alert "X" fires within 1 minute'
    )  # the writer's own name, not the example's


def test_reaching_a_contact_group_names_the_channel_or_none() -> None:
    def build(text: str) -> object:
        found = grammar.match("then", text)
        assert found is not None, text
        phrase, args = found
        return phrase.build(args, 7)

    base = 'the alert reaches the contact group "storefront-oncall"'
    assert build(f"{base} within 1 minute").channel == ""  # type: ignore[attr-defined]
    assert build(f"{base} by email within 1 minute").channel == "email"  # type: ignore[attr-defined]
    assert build(f"{base} by webhook within 90 seconds").group == "storefront-oncall"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match='"by pigeon" is not a way to be reached'):
        build(f"{base} by pigeon within 1 minute")


def test_suggestions_use_the_writers_own_names_and_durations() -> None:
    from alertdrill.spec.grammar import closest

    assert (
        closest('the alert "CheckoutApiDown" fire within 2 minutes')
        == 'Then the alert "CheckoutApiDown" fires within 2 minutes'
    )
    assert closest('the servce "shop" is healthy') == 'Given the service "shop" is healthy'
