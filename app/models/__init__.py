"""Every model, imported so that Alembic and relationships see them all."""
from app.models.accounts import ApiToken, LoginThrottle, RoleGrant, User, WebSession  # noqa: F401
from app.models.audit import AuditEntry  # noqa: F401
from app.models.enterprises import Enterprise  # noqa: F401
from app.models.people import Person, Registration  # noqa: F401
from app.models.employment import Employment  # noqa: F401
from app.models.allocation import Allocation  # noqa: F401
from app.models.projects import Participant, Project  # noqa: F401
from app.models.site import Attendance, SignIn  # noqa: F401
from app.models.separation import Separation  # noqa: F401
from app.models.calendar import CalendarDay, CalendarYear  # noqa: F401
from app.models.payroll import BankBatch, BankReceipt, PayrollDraft, PayrollLine  # noqa: F401
from app.models.outbox import OutboxMessage  # noqa: F401
from app.models.jobs import JobRun  # noqa: F401
from app.models.notices import Notice  # noqa: F401
from app.models.workflow import (HumanTask, MessageWait, ProcessDefinition, ProcessEvent,  # noqa: F401
                                 ProcessInstance, WorkflowTimer)
