"""The shipped pytest-bdd step definitions: one per phrase of `grammar.PHRASES` (the only module
that registers steps with pytest_bdd). Each step hands its parsed phrase to the drill session."""

from __future__ import annotations

from collections.abc import Callable
from inspect import Parameter, Signature

from parse import compile as compile_format
from pytest_bdd import step

from alertdrill.spec.grammar import PHRASES, Phrase


def _step_function(phrase: Phrase) -> Callable[..., None]:
    def perform(alertdrill_drill: object, **args: object) -> None:
        alertdrill_drill.perform(phrase.build(args, 0))  # type: ignore[attr-defined]

    fields = sorted(compile_format(phrase.pattern).named_fields)
    perform.__signature__ = Signature(  # type: ignore[attr-defined]
        [Parameter("alertdrill_drill", Parameter.POSITIONAL_OR_KEYWORD)]
        + [Parameter(name, Parameter.KEYWORD_ONLY) for name in fields])
    perform.__name__ = f"alertdrill_{phrase.keyword}_{'_'.join(fields) or 'step'}"
    return perform


def _register_all() -> None:
    for phrase in PHRASES:
        step(phrase.parser, phrase.keyword, stacklevel=2)(_step_function(phrase))  # type: ignore[arg-type]


_register_all()
