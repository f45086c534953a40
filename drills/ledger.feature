@payments @storms
Feature: One fault, one page: a dead ledger API pages payments once, not a storm

  Scenario: Killing the ledger API pages payments only; its traffic alert is inhibited
    Given no alert is firing
    And the service "ledger-api" is healthy
    When the fault "ledger-api-down" is injected
    Then the alerts "LedgerApiDown", "LedgerApiNoTraffic" fire within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    And the notification links the runbook "runbooks/ledger-api-down.md"
    And the alert "LedgerApiNoTraffic" is inhibited
    Then only the contact group "payments-oncall" is notified
    And no other alert fires
    And at most 1 notification reaches the contact group "payments-oncall"
    And the alert resolves within 1 minute of the fault being reverted
