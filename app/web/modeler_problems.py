"""The definition checker's problems as the editor marks them: on the shape drawn on the
canvas (a timer's problem on its event), errors apart from warnings. The messages are
already in the analyst's language (app/workflow/parsing.py and its checks)."""
from flask_babel import gettext
from lxml import etree

from app.services import rule_periods
from app.services.i18n import N_
from app.workflow import timer_periods
from app.workflow.definitions import Problem

def _shape_ids(xml: bytes) -> dict[str, str]:
    """Event definitions (a timer's own id) belong to the event drawn on the canvas."""
    try:
        tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    return {el.get("id"): el.getparent().get("id") for el in tree.iter()
            if isinstance(el.tag, str) and el.get("id") and etree.QName(el).localname.endswith("EventDefinition")
            and el.getparent() is not None and el.getparent().get("id")}


def problems_json(problems: list[Problem], xml: bytes = b"") -> list[dict]:
    """Each problem with the id of the element the editor marks, and its message."""
    shapes = _shape_ids(xml) if xml and any(p.element_id for p in problems) else {}
    return [{"element_id": shapes.get(p.element_id, p.element_id) or None, "line": p.line,
             "message": p.message, "severity": p.severity} for p in problems]


def rule_warnings_json(changes: list[rule_periods.RuleChange]) -> list[dict]:
    """A deploy's changes to the waiting periods DOMAIN.md names as rules: the timer
    (marked on the canvas), its old and new expression, and a sentence saying both."""
    return [{"element_id": c.rule.timer_id, "old": c.old, "new": c.new,
             "message": gettext(rule_periods.RULE_CHANGED, rule=gettext(c.rule.label), timer=c.rule.timer_id,
                                old=timer_periods.describe_expression(c.old),
                                new=timer_periods.describe_expression(c.new))} for c in changes]
