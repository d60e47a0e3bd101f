"""The words a diagram shows, for people (issue 19 items 8 and 13): a lane is named by its
role key in the BPMN (`enterprise_hr` — the engine resolves candidates by it), but the
viewer shows the lane's label (法人或人事聘用管理员); every other element's name is
a message of its own (extracted from processes/*.bpmn by app/services/i18n_bpmn.py), shown in
the user's language. The stored definition is never changed: only the copy served to the
read-only viewers of the inbox and the monitor. The modeler edits the real names."""
from flask_babel import gettext
from lxml import etree

from app.workflow.registry import REGISTRY

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def lane_label(role: str) -> str:
    """A lane role in words; an unknown role keeps its key."""
    lane = REGISTRY.lanes.get(role)
    return gettext(lane.label) if lane is not None and lane.label else role


def translated(name: str | None) -> str:
    """A diagram name (process, task, timer, flow) in the user's language."""
    return gettext(name) if name else (name or "")


def display_xml(xml: str) -> str:
    """The definition's XML with lane names as role labels and other names translated;
    the XML as it is when it cannot be read (the viewer then reports its own error)."""
    try:
        tree = etree.fromstring(xml.encode("utf-8"), PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return xml
    for element in tree.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN}}}"):
            continue
        name = element.get("name")
        if not name:
            continue
        element.set("name", lane_label(name) if element.tag == f"{{{BPMN}}}lane" else translated(name))
    return etree.tostring(tree, encoding="unicode")
