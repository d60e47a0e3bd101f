"""Errors of the engine adapter, mapped to HTTP statuses by the API."""
from app.services.errors import Conflict, DomainError


class WorkflowFailure(DomainError):
    """A handler, script or condition failed; the instance (if any) is in `error`."""

    status = 503


class TaskConflict(Conflict):
    """Completed, withdrawn, claimed by another, or changed meanwhile (409)."""
