"""Write every flow node's <bpmn:incoming>/<bpmn:outgoing> from the diagram's sequence flows,
as bpmn-js writes them, so bpmnlint (and other modelers) see the connections.

    .venv/bin/python scripts/bpmn_flow_refs.py processes/*.bpmn          # rewrite in place
    .venv/bin/python scripts/bpmn_flow_refs.py --check processes/*.bpmn  # exit 1 if any is out of date

Hand-written files are diffed by analysts, so this edits the text line by line instead of
re-serialising the XML: only the lines of incoming/outgoing change (and a self-closing
element gains a closing tag). Each ref goes after the element's documentation and
extensionElements, before anything else (event definitions), as the BPMN schema orders them.
"""
import argparse
import re
import sys
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
LEADING_CHILDREN = {"documentation", "extensionElements"}  # the only children before incoming
REFS = ("incoming", "outgoing")
SELF_CLOSING = re.compile(r"^(?P<indent>\s*)<(?P<tag>[\w:]+)(?P<attrs>.*?)\s*/>\s*$")


def local(element):
    return etree.QName(element).localname if isinstance(element.tag, str) else None


def expected_refs(container):
    """{node id: {"incoming": [flow ids], "outgoing": [flow ids]}} for the flow nodes directly in
    a process or sub-process, flows in document order."""
    refs = {el.get("id"): {"incoming": [], "outgoing": []}
            for el in container if local(el) in FLOW_NODES}
    for flow in container.iterfind(f"{{{BPMN}}}sequenceFlow"):
        for end, kind in (("sourceRef", "outgoing"), ("targetRef", "incoming")):
            if flow.get(end) in refs:
                refs[flow.get(end)][kind].append(flow.get("id"))
    return refs


def flow_containers(root):
    return [el for el in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess",
                                   f"{{{BPMN}}}transaction", f"{{{BPMN}}}adHocSubProcess")]


def actual_refs(node):
    return {kind: [ref.text.strip() for ref in node.iterfind(f"{{{BPMN}}}{kind}")] for kind in REFS}


def _indent_unit(lines, root):
    for container in flow_containers(root):
        children = [c for c in container if isinstance(c.tag, str)]
        if children:
            outer = len(lines[container.sourceline - 1]) - len(lines[container.sourceline - 1].lstrip())
            inner = len(lines[children[0].sourceline - 1]) - len(lines[children[0].sourceline - 1].lstrip())
            if inner > outer:
                return " " * (inner - outer)
    return "  "


def _rewrite_node(lines, node, refs, unit):
    """Edit lines (a list of str with their line ends) for one node; every change is at or after
    the node's own start line, so nodes are rewritten last line first."""
    start = node.sourceline - 1
    prefix = node.prefix + ":" if node.prefix else ""
    opening = lines[start]
    newline = opening[len(opening.rstrip("\r\n")):] or "\n"
    indent = opening[:len(opening) - len(opening.lstrip())]
    ref_lines = lambda inner: [f"{inner}<{prefix}{kind}>{ref}</{prefix}{kind}>{newline}"
                               for kind in REFS for ref in refs[kind]]
    for old in reversed([c for c in node if local(c) in REFS]):  # each on a line of its own
        del lines[old.sourceline - 1]
    children = [c for c in node if isinstance(c.tag, str) and local(c) not in REFS]
    if not children and not (node.text or "").strip():
        single = SELF_CLOSING.match(opening)
        if single is None:  # <x ...>\n</x> with nothing inside
            close = _closing_line(lines, start, indent, prefix + local(node))
            lines[close:close] = ref_lines(indent + unit)
            return
        if refs["incoming"] or refs["outgoing"]:
            lines[start:start + 1] = ([f"{indent}<{single['tag']}{single['attrs']}>{newline}"]
                                      + ref_lines(indent + unit) + [f"{indent}</{single['tag']}>{newline}"])
        return
    inner = lines[children[0].sourceline - 1]
    inner_indent = inner[:len(inner) - len(inner.lstrip())]
    after = next((c for c in children if local(c) not in LEADING_CHILDREN), None)
    at = (after.sourceline - 1 if after is not None
          else _closing_line(lines, start, indent, prefix + local(node)))
    lines[at:at] = ref_lines(inner_indent)


def _closing_line(lines, start, indent, tag):
    for i in range(start + 1, len(lines)):
        if lines[i].rstrip() == f"{indent}</{tag}>":
            return i
    raise ValueError(f"line {start + 1}: no closing </{tag}> at the same indentation")


def rewrite(text):
    """The text with every flow node's incoming/outgoing written from the sequence flows."""
    root = etree.fromstring(text.encode("utf-8"))
    lines = text.splitlines(keepends=True)
    unit = _indent_unit(lines, root)
    nodes = []
    for container in flow_containers(root):
        for node_id, refs in expected_refs(container).items():
            node = next(n for n in container if isinstance(n.tag, str) and n.get("id") == node_id)
            if actual_refs(node) != refs:
                nodes.append((node, refs))
    for node, refs in sorted(nodes, key=lambda pair: pair[0].sourceline, reverse=True):
        _rewrite_node(lines, node, refs, unit)
    return "".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    stale = []
    for path in args.files:
        text = path.read_bytes().decode("utf-8")  # keeps the line ends as they are
        new = rewrite(text)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_bytes(new.encode("utf-8"))
    verb = "out of date" if args.check else "rewritten"
    for path in stale:
        print(f"{path}: incoming/outgoing {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
