"""Project managers and allocations (API.md `/projects/{pid}/managers`, `/allocations`)."""
from app.api import bp  # noqa: F401  (endpoints are added here)
