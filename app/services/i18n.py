"""The marker of translatable messages, defined in app/common/i18n.py (the engine adapter
marks its messages too); kept here so that the rules and their callers import it from their layer."""
from app.common.i18n import N_

__all__ = ["N_"]
