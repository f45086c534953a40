@storefront
Feature: Storefront on-call is paged when checkout or inventory break

  Scenario: Checkout answering errors pages storefront on-call
    Given the service "checkout-api" is healthy
    When the fault "checkout-api-errors" is injected
    Then the alert "CheckoutApiErrors" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" within 1 minute
    And the notification links the runbook "runbooks/checkout-api-errors.md"
    And the runbook locates the fault within 5 minutes
    And the service recovers within 10 minutes

  Scenario: A hung inventory API pages storefront on-call
    Given the service "inventory-api" is healthy
    When the fault "inventory-api-hung" is injected
    Then the alert "InventoryApiDown" fires within 1 minute
    And the alert reaches the contact group "storefront-oncall" within 90 seconds
    And the notification links the runbook "runbooks/inventory-api-down.md"
    And the runbook locates the fault within 5 minutes
    And the service recovers within 10 minutes
