"""Errors the rules and the engine adapter raise; the web and API layers turn them into
messages and statuses.

Messages are Chinese msgids, translated where they are shown.
"""


class DomainError(Exception):
    status = 422

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.message = message  # a msgid; shown as gettext(message, **params)
        self.field = field
        self.params = params


class RuleViolation(DomainError):
    """A business rule refused the request (422)."""


class Conflict(DomainError):
    """The record is in the wrong state, or already exists (409)."""

    status = 409


class NotFound(DomainError):
    """Absent, or not visible to the caller: the two are not told apart (404)."""

    status = 404


class Forbidden(DomainError):
    """Visible but not the caller's to change (403)."""

    status = 403
