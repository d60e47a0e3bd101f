"""Process definitions: versions and deploy, and the cache of parsed specs.

A definition is checked before it is stored (parsing.py: schema, scripts, handlers,
forms, lanes, timers); a diagram that comes from a request is checked, and its test
cases run, in a child process first (isolation.py).
"""
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import ProcessDefinition
from app.workflow.files import PROCESSES_DIR
# callers name these definitions.X: parsing is one step of a definition's life
from app.workflow.parsing import BPMN, NS, SPIFF, DefinitionError, Parsed, Problem, parse, validate  # noqa: F401

log = logging.getLogger(__name__)


def content_hash(xml: bytes | str) -> str:
    return hashlib.sha256(xml.encode() if isinstance(xml, str) else xml).hexdigest()


def deploy(xml: bytes | str, source: str, actor=None) -> tuple[ProcessDefinition, bool]:
    """Validates and stores a new version; (definition, created). Identical content
    already deployed for the key returns that version unchanged. Nothing of the diagram
    runs here: a diagram from a request goes through isolation.deploy, which runs its
    BPMN test cases in a child process first."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    parsed = parse(text.encode("utf-8"), source)
    digest = content_hash(text)
    existing = db.session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.key == parsed.key, ProcessDefinition.content_hash == digest))
    if existing is not None:
        return existing, False
    latest_version = db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)) or 0
    definition = ProcessDefinition(key=parsed.key, version=latest_version + 1, name=parsed.name, bpmn_xml=text,
                                   content_hash=digest, source=source, deployed_by_id=getattr(actor, "id", None))
    db.session.add(definition)
    db.session.flush()
    _SPECS[digest] = (parsed.spec, parsed.subprocess_specs)
    _forget_latest(parsed.key)
    return definition, True


def sync_directory(directory: Path | None = None) -> list[ProcessDefinition]:
    """Loads processes/*.bpmn in the current transaction: a file whose content no
    version of its key has yet becomes a new version."""
    created = []
    for path in sorted((directory or PROCESSES_DIR).glob("*.bpmn")):
        xml = path.read_bytes()
        if db.session.scalar(select(ProcessDefinition.id).where(
                ProcessDefinition.content_hash == content_hash(xml))) is None:
            # the files' cases run in pytest (tests/workflow/test_process_cases.py), not at
            # every start: start-up stays fast, and a file on disk is what was released
            definition, new = deploy(xml, path.name)
            if new:
                created.append(definition)
    return created


def sync_once(app) -> None:
    """At a process's first request or command: the files become versions. Another
    process doing the same at the same moment makes this one's insert fail; it then
    finds the versions that process wrote."""
    if app.extensions.get("workflow_synced"):
        return
    try:
        sync_directory()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    except (OperationalError, ProgrammingError):  # no schema yet: `flask db upgrade` first
        db.session.rollback()
        log.warning("process definitions not loaded: the database has no schema yet")
        return
    app.extensions["workflow_synced"] = True


def latest_or_sync(key: str) -> ProcessDefinition | None:
    definition = latest(key)
    if definition is None and sync_directory():
        definition = latest(key)
    return definition


@dataclass(frozen=True)
class Latest:
    """What a start needs of a key's latest version, kept per app process."""

    id: int
    version: int
    specs: tuple  # (spec, subprocess_specs)
    lanes: tuple[str, ...]  # every lane of the process and the processes it calls
    read_at: float


# A deploy by another process reaches this process's new instances within this many
# seconds: an instance started in between runs the version before, as it would had it
# started a moment earlier; a deploy by this process is seen at once.
LATEST_RECHECK_SECONDS = 5.0


def latest_for_start(key: str) -> Latest | None:
    """The latest version of `key`, from this app's cache when read in the last
    LATEST_RECHECK_SECONDS; else read (syncing the files if there is none yet)."""
    cache = current_app.extensions.setdefault("workflow_latest", {})
    entry = cache.get(key)
    if entry is not None and time.monotonic() - entry.read_at < LATEST_RECHECK_SECONDS:
        return entry
    definition = latest_or_sync(key)
    if definition is None:
        return None
    specs = specs_for(definition)
    entry = Latest(definition.id, definition.version, specs, _lanes(specs), time.monotonic())
    if key not in db.session.info.get(_UNCOMMITTED, ()):  # a version not yet committed may yet be rolled back
        cache[key] = entry
    return entry


def _lanes(specs: tuple) -> tuple[str, ...]:
    spec, subprocess_specs = specs
    return tuple(sorted({lane for s in (spec, *subprocess_specs.values()) for t in s.task_specs.values()
                         if (lane := getattr(t, "lane", None))}))


_UNCOMMITTED = "workflow_deployed_keys"


def _forget_latest(key: str) -> None:
    if has_app_context():
        current_app.extensions.get("workflow_latest", {}).pop(key, None)
    db.session.info.setdefault(_UNCOMMITTED, set()).add(key)


@event.listens_for(Session, "after_commit")
def _deploys_committed(session) -> None:
    session.info.pop(_UNCOMMITTED, None)


def latest(key: str) -> ProcessDefinition | None:
    return db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                             .order_by(ProcessDefinition.version.desc()).limit(1))


# Parsed specs by content hash: a version's content never changes, so neither does its spec.
_SPECS: dict[str, tuple] = {}


def specs_for(definition: ProcessDefinition) -> tuple:
    """(spec, subprocess_specs) of a stored version, parsed once per process."""
    cached = _SPECS.get(definition.content_hash)
    if cached is None:
        parsed = parse(definition.bpmn_xml.encode("utf-8"), f"{definition.key}-v{definition.version}.bpmn")
        cached = _SPECS[definition.content_hash] = (parsed.spec, parsed.subprocess_specs)
    return cached
