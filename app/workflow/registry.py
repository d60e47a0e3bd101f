"""What diagrams may name: service-task handlers, lanes, form keys and script helpers;
and what each process's subject becomes when an administrator terminates an instance.

The engine adapter reads these tables only; the domain fills them at start-up
(app/handlers, app/forms/tasks.py), so the adapter never imports the domain.
"""
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Candidate:
    """Who may act on a task: one user, or holders of a lane role in a scope — less
    `excluded_user_id`, one holder who may not act on this task (four eyes: whoever
    drafted what the task reviews)."""

    role: str | None = None
    enterprise_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None
    excluded_user_id: int | None = None


PERSON, PLATFORM, ENTERPRISE, PROJECT = "person", "platform", "enterprise", "project"


@dataclass(frozen=True)
class Lane:
    """A lane role: how a task's subject becomes its candidate rule, which granted
    roles satisfy it, and its scope — which of the grant's ids must match: none
    (platform), the enterprise, or the enterprise and project; person lanes name a user.
    `fixed`: the rule depends only on facts of the subject that never change (a person's
    account), so it is resolved once, when an instance starts, not at each task."""

    resolve: Callable[[dict], Candidate]
    grant_roles: tuple[str, ...] = ()
    label: str = ""
    scope: str = PERSON
    fixed: bool = False


@dataclass(frozen=True)
class Termination:
    """What a process's subject becomes when an administrator terminates an instance:
    `end(subject, actor, reason)` changes the business record in terminate's transaction;
    `label` says so in words on the monitor. A process key without one cannot be terminated."""

    end: Callable[[dict, object, str], None]
    label: str = ""


@dataclass
class Registry:
    handlers: dict[str, Callable] = field(default_factory=dict)
    lanes: dict[str, Lane] = field(default_factory=dict)
    forms: dict[str, type] = field(default_factory=dict)
    helpers: dict[str, Callable] = field(default_factory=dict)
    terminations: dict[str, Termination] = field(default_factory=dict)
    describe_subject: Callable[[dict], str] = lambda subject: ""


REGISTRY = Registry()


def install(*, handlers=None, lanes=None, forms=None, helpers=None, terminations=None,
            describe_subject=None) -> Registry:
    """Adds entries (the domain calls this at start; tests may add their own)."""
    REGISTRY.handlers.update(handlers or {})
    REGISTRY.lanes.update(lanes or {})
    REGISTRY.forms.update(forms or {})
    REGISTRY.helpers.update(helpers or {})
    REGISTRY.terminations.update(terminations or {})
    if describe_subject is not None:
        REGISTRY.describe_subject = describe_subject
    return REGISTRY
