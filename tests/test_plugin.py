"""The pytest plugin seen from outside (pytester): what `pytest drills/` does in a user's project."""

from __future__ import annotations

import pytest

from alertdrill.testing import copy_project
from tests.conftest import REPO


def test_unknown_step_is_a_collection_error_with_file_and_line(pytester: pytest.Pytester) -> None:
    copy_project(REPO, pytester.path)
    (pytester.path / "drills" / "typo.feature").write_text(
        'Feature: f\n  Scenario: s\n    When the fault "payments-api-down" is injected\n'
        '    Then the alert "PaymentsApiDown" fire within 1 minute\n'
    )
    result = pytester.runpytest_subprocess("drills/typo.feature", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(['*drills/typo.feature:4: unknown step "Then the alert "PaymentsApiDown" fire*'])


def test_features_without_an_alertdrill_config_are_left_to_plain_pytest_bdd(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", plain="Feature: f\n  Scenario: s\n    Given anything\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_feature_tags_select_drills_with_m(pytester: pytest.Pytester) -> None:
    copy_project(REPO, pytester.path)
    result = pytester.runpytest_subprocess(
        "drills", "--collect-only", "-q", "-m", "payments", "--strict-markers", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(
        [
            "*ledger.feature::test_00_killing_the_ledger_api_pages_payments_only*",
            "*payments.feature::test_00_killing_the_payments_api_pages_payments_on_call*",
            "2/4 tests collected (2 deselected)*",
        ]
    )


def test_a_broken_fault_option_is_a_usage_error_before_any_drill(pytester: pytest.Pytester) -> None:
    copy_project(REPO, pytester.path)
    config = pytester.path / "alertdrill.yml"
    text = config.read_text()
    config.write_text(text.replace("    service: payments-api\n", "    service: payments-api\n    colour: red\n", 1))
    result = pytester.runpytest_subprocess("drills", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fault 'payments-api-down' (process-kill) has unknown option(s) colour*"])
