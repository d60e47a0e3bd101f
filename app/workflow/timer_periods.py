"""How long a diagram's timer waits, read from the diagram, so that what a page says
("企业24小时内未同意的…") follows what the flow does after an analyst changed PT24H to
PT48H. Knows no process: callers name the process key and the timer's element id.

A period is the ISO 8601 duration the timer's constant expression names ("PT24H"), or
None when there is no such timer or its duration is computed from task data.
"""
import ast

from flask_babel import gettext
from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.common.i18n import N_
from app.workflow import definitions
from app.workflow.parsing import NS

# (the unit in parse_iso_duration's words, how a page says it), largest first
UNITS = (("years", N_("%(num)s年")), ("months", N_("%(num)s个月")), ("weeks", N_("%(num)s周")),
         ("days", N_("%(num)s天")), ("hours", N_("%(num)s小时")), ("minutes", N_("%(num)s分钟")),
         ("seconds", N_("%(num)s秒")))
JOINED = N_("%(before)s%(after)s")  # 1天12小时; English puts a space between the parts


def expression_in(xml: bytes | str, timer_id: str) -> str | None:
    """The timeDuration expression of the timer event `timer_id` as written ('"PT24H"'),
    or None when the diagram has no such timer (or does not parse)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = tree.xpath("//*[@id=$id]/bpmn:timerEventDefinition/bpmn:timeDuration", id=timer_id, namespaces=NS)
    return (found[0].text or "").strip() if found else None


def constant_period(expression: str | None) -> str | None:
    """'"PT24H"' → "PT24H"; None for a computed expression or anything not a duration."""
    try:
        value = ast.literal_eval(expression) if expression else None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, str):
        return None
    try:
        TimerEventDefinition.parse_iso_duration(value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad durations
        return None
    return value.strip().upper()


# Periods by (content hash, timer id): a stored version's content never changes.
_PERIODS: dict[tuple[str, str], str | None] = {}


def of_definition(definition: ProcessDefinition, timer_id: str) -> str | None:
    key = (definition.content_hash, timer_id)
    if key not in _PERIODS:
        _PERIODS[key] = constant_period(expression_in(definition.bpmn_xml, timer_id))
    return _PERIODS[key]


def of_latest(process_key: str, timer_id: str) -> str | None:
    """The period a new instance would wait: the latest deployed version's."""
    definition = definitions.latest_or_sync(process_key)
    return of_definition(definition, timer_id) if definition is not None else None


def of_instances(instance_ids, timer_id: str) -> dict[int, str | None]:
    """Each running instance's period, from its own version (a running instance keeps
    its version when a new one is deployed)."""
    ids = list(dict.fromkeys(instance_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(ProcessInstance.id, ProcessDefinition).join(
        ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(
        ProcessInstance.id.in_(ids))).all()
    return {instance_id: of_definition(definition, timer_id) for instance_id, definition in rows}


def of_instance(instance_id: int | None, timer_id: str) -> str | None:
    return of_instances([instance_id], timer_id).get(instance_id) if instance_id is not None else None


def describe(period: str | None) -> str | None:
    """"PT24H" → 24小时, "PT48H" → 48小时, "P7D" → 7天, "P1DT12H" → 1天12小时: in the
    units the analyst wrote, so a page says what the diagram says. None stays None."""
    if period is None:
        return None
    parts = TimerEventDefinition.parse_iso_duration(period)
    words = [gettext(label, num=_number(parts[unit])) for unit, label in UNITS if parts.get(unit)]
    if not words:
        return gettext(UNITS[-1][1], num=0)
    said = words[0]
    for word in words[1:]:
        said = gettext(JOINED, before=said, after=word)
    return said


def describe_expression(expression: str | None) -> str:
    """A timer expression for an analyst: its period in words, a computed expression as
    written, or that there is no such timer."""
    if expression is None:
        return gettext("（无此定时器）")
    period = constant_period(expression)
    return describe(period) if period is not None else expression


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
