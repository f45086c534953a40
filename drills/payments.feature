@payments
Feature: Payments on-call is paged when the payments API dies

  Scenario: Killing the payments API pages payments on-call
    Given the service "payments-api" is healthy
    When the fault "payments-api-down" is injected
    Then the alert "PaymentsApiDown" fires within 1 minute
    And the alert reaches the contact group "payments-oncall" within 1 minute
    And the notification links the runbook "runbooks/payments-api-down.md"
    And the runbook locates the fault within 5 minutes
    And the service recovers within 10 minutes
