"""Service-task handlers of processes/allocation_confirmation.bpmn."""

HANDLERS: dict = {}
