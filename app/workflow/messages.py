"""Messages between instances. SpiffWorkflow does not route them: thrown messages are
delivered here, in the thrower's transaction, to instances waiting for that name
whose correlations match. A delivery that throws messages in turn routes them too."""
from sqlalchemy import select
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from app.extensions import db
from app.models import MessageWait, ProcessInstance
from app.workflow import saving


def route(sender, thrown) -> None:
    for bpmn_event in thrown:
        definition = bpmn_event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        message = {"name": definition.name, "payload": bpmn_event.payload,
                   "correlations": bpmn_event.correlations}
        saving.event(sender, "message_sent", message=definition.name)
        waiting = db.session.scalars(select(ProcessInstance).join(
            MessageWait, MessageWait.instance_id == ProcessInstance.id).where(
            MessageWait.message_name == definition.name, ProcessInstance.id != sender.id,
            ProcessInstance.status.in_(("running", "waiting"))).order_by(ProcessInstance.id))
        for instance in waiting:
            if deliver(instance, message):
                break  # a message is caught once


def deliver(instance, message: dict) -> bool:
    workflow = saving.load(instance)
    for pending in workflow.waiting_events():
        if pending.event_type != "MessageEventDefinition" or pending.name != message["name"]:
            continue
        if not _correlates(workflow.correlations, message["correlations"]):
            continue
        bpmn_event = BpmnEvent(MessageEventDefinition(message["name"]), message["payload"],
                               message["correlations"])

        def step(wf):
            wf.catch(bpmn_event)
            wf.do_engine_steps()

        saving.run_step(instance, workflow, None, step)
        saving.event(instance, "message_received", message=message["name"])
        thrown = saving.save(instance, workflow)
        if thrown:
            route(instance, thrown)
        return True
    return False


def _correlates(mine: dict, theirs: dict) -> bool:
    """Keys both sides know must agree; a waiting instance without correlations takes any."""
    for key, values in (theirs or {}).items():
        if key in (mine or {}) and mine[key] != values:
            return False
    return True
