"""The errors the rules raise, defined in app/common/errors.py (the engine adapter raises
them too); kept here so that the rules and their callers import them from their layer."""
from app.common.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation

__all__ = ["Conflict", "DomainError", "Forbidden", "NotFound", "RuleViolation"]
