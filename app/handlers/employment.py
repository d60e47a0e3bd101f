"""Service-task handlers of the hire consent flow (processes/hire_consent.bpmn)."""

HANDLERS: dict = {}
