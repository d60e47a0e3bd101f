"""A Babel extractor for the diagrams' names (babel.cfg `[bpmn: processes/*.bpmn]`): every
process, task, event, gateway and flow name in processes/*.bpmn becomes a message, so
`make translations` puts them in the catalogue and the inbox and monitor can show them in
English (app/web/diagram_labels.py). Lane names are role keys, not words: their labels
are the lanes' own messages (app/handlers/lanes.py) and are skipped here."""
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SKIPPED = {f"{{{BPMN}}}lane"}


def extract_bpmn(fileobj, keywords, comment_tags, options):
    """Babel's extractor protocol: (line number, function name, message, comments)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.parse(fileobj, parser)
    for element in tree.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN}}}") or element.tag in SKIPPED:
            continue
        name = element.get("name")
        if name and name.strip():
            yield element.sourceline or 0, None, name, []
