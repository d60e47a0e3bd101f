"""Errors of the engine adapter, mapped to HTTP statuses by the API."""
from app.common.errors import Conflict, DomainError
from app.common.i18n import N_


class WorkflowFailure(DomainError):
    """A handler, script or condition failed; the instance (if any) is in `error`.
    `reason` is the engine's account (exception class and text) for the log and the
    instance's error record; `message`, like every DomainError's, is for the user."""

    status = 503

    def __init__(self, reason: str):
        super().__init__(N_("流程处理出错，已记录，管理员将尽快处理。"))
        self.reason = reason


class TaskConflict(Conflict):
    """Completed, withdrawn, claimed by another, or changed meanwhile (409)."""
