"""Deployed versus repository for Alertmanager: only what concerns the drilled alert is a difference."""

from __future__ import annotations

from alertdrill.catalog.am_drift import differences, running_alertmanager

FILE = """route:
  receiver: default
  routes:
    - {receiver: pay, matchers: ['team="payments"'], group_wait: 10s}
    - {receiver: shop, matchers: ['team="shop"']}
receivers:
  - {name: default}
  - {name: pay, webhook_configs: [{url: "http://a/1"}], email_configs: [{to: a@example.invalid}]}
  - {name: shop, webhook_configs: [{url: "http://a/2"}]}
inhibit_rules:
  - {source_matchers: ['alertname="NodeDown"'], target_matchers: ['team="payments"'], equal: [instance]}
  - {source_match: {alertname: ShopDown}, target_match: {team: shop}}
"""


def test_the_same_configuration_with_other_urls_and_secrets_is_no_drift() -> None:
    file = running_alertmanager(FILE, "file")
    deployed = running_alertmanager(FILE.replace("http://a/1", "<secret>").replace("a@example", "b@example"), "am")
    assert differences("PaymentsDown", {"team": "payments"}.get, file, deployed) == []


def test_differences_that_concern_the_alert_are_named_and_others_are_not() -> None:
    file = running_alertmanager(FILE, "file")
    deployed = running_alertmanager(
        FILE.replace(", email_configs: [{to: a@example.invalid}]", "")
        .replace("group_wait: 10s", "group_wait: 20s")
        .replace("{name: shop, webhook_configs", "{name: shop, slack_configs")
        .replace("target_match: {team: shop}", "target_match: {team: shop2}"),
        "am",
    )
    found = differences("PaymentsDown", {"team": "payments"}.get, file, deployed)
    assert found == [
        "PaymentsDown is routed to pay (group_by [], group_wait 20 s, group_interval 300 s, repeat_interval 14400 s) "
        "(file: pay (group_by [], group_wait 10 s, group_interval 300 s, repeat_interval 14400 s))",
        "receiver pay has webhook (file: email, webhook)",
    ]
    shop = differences("ShopDown", {"team": "shop"}.get, file, deployed)
    assert shop == [
        "receiver shop has slack (file: webhook)",
        'the inhibit rule source {alertname="ShopDown"} target {team="shop"} equal [] is missing',
    ]
    gone = running_alertmanager(FILE.replace('  - {name: shop, webhook_configs: [{url: "http://a/2"}]}\n', ""), "am")
    assert "receiver shop is not defined" in differences("ShopDown", {"team": "shop"}.get, file, gone)
    unknown_team = differences("X", lambda name: None if name == "team" else "", file, deployed)
    assert any("inhibit rule" in d for d in unknown_team)  # an inhibit rule that could target it counts
