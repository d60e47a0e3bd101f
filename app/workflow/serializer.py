"""Workflow state as JSON with the spec stored by reference.

SpiffWorkflow embeds the whole spec in every serialization (half the bytes and most
of the load time); the instance row already names its definition version, so the
state leaves the spec out and loading takes it from the parsed-spec cache.
"""
from contextvars import ContextVar
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.workflow.sandbox import ENGINE

_LOADING_SPECS: ContextVar[tuple] = ContextVar("loading_specs")


class ByReferenceConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["lane_candidates"] = getattr(workflow, "lane_candidates", {})  # fixed lane rules (inbox.py)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = _LOADING_SPECS.get()
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        workflow.lane_candidates = dct.get("lane_candidates", {})
        return workflow


_CONFIG = {**SPIFF_CONFIG, BpmnWorkflow: ByReferenceConverter}
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))


def new_workflow(spec, subprocess_specs) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=ENGINE)


def dumps(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def loads(state: str, spec, subprocess_specs) -> BpmnWorkflow:
    token = _LOADING_SPECS.set((spec, subprocess_specs))
    try:
        workflow = SERIALIZER.deserialize_json(state)
    finally:
        _LOADING_SPECS.reset(token)
    workflow.script_engine = ENGINE
    return workflow


def deadline_of(value) -> datetime | None:
    """The deadline a waiting timer stores (its event value: an ISO instant, or a cycle
    timer's {"next": …})."""
    if isinstance(value, dict):
        value = value.get("next")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None
