"""Personal information registration and the person's own bank card (API.md "Registration")."""
from app.api import bp  # noqa: F401  (endpoints are added here)
