"""The pytest plugin seen from outside (pytester): what `pytest drills/` does in a user's project."""

from __future__ import annotations

import pytest

from alertdrill.testing import copy_project
from tests.conftest import REPO


def test_unknown_step_is_a_collection_error_with_file_and_line(pytester: pytest.Pytester) -> None:
    copy_project(REPO, pytester.path)
    (pytester.path / "drills" / "typo.feature").write_text(
        'Feature: f\n  Scenario: s\n    When the fault "payments-api-down" is injected\n'
        '    Then the alert "PaymentsApiDown" fire within 1 minute\n')
    result = pytester.runpytest_subprocess("drills/typo.feature", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(['*drills/typo.feature:4: unknown step "Then the alert "PaymentsApiDown" fire*'])


def test_features_without_an_alertdrill_config_are_left_to_plain_pytest_bdd(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", plain="Feature: f\n  Scenario: s\n    Given anything\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_feature_tags_select_drills_with_m(pytester: pytest.Pytester) -> None:
    copy_project(REPO, pytester.path)
    result = pytester.runpytest_subprocess("drills", "--collect-only", "-q", "-m", "payments", "--strict-markers",
                                           "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*payments.feature::test_00_killing_the_payments_api_pages_payments_on_call*",
                                 "1/3 tests collected (2 deselected)*"])


def test_steps_outside_a_drill_fail_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("")
    pytester.makepyfile(test_x="def test_x(alertdrill_drill):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*alertdrill steps run only in drills collected from feature files*"])
