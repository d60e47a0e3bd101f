"""Employment: the hire request and employment records (API.md "Employment")."""
from app.api import bp  # noqa: F401  (endpoints are added here)
