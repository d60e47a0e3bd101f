"""A .bpmn file the analyst picked on disk, as text the modeler's canvas can open.

Read in the encoding its XML declaration names (app.workflow.xml_text), then checked to be
well-formed XML whose root is BPMN's <definitions>; anything else — a picture, a Word
file, an XML file of another kind — is a 422 saying so, never a 500.
"""
from flask import abort, jsonify, make_response
from flask_babel import gettext
from lxml import etree

from app.services.i18n import N_
from app.workflow import xml_text

BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NOT_BPMN = N_("不是BPMN XML文件")
EMPTY = N_("文件是空的。")
NOT_WELL_FORMED = N_("不是BPMN XML文件：第 %(line)d 行起不是格式正确的 XML。")
NOT_DEFINITIONS = N_("不是BPMN XML文件：根元素是 <%(root)s>，应为 BPMN 的 <definitions>。")


def read(data: bytes) -> str:
    """The file as UTF-8 text whose declaration says so; a 422 if it is not BPMN XML."""
    if not data.strip():
        _refuse(gettext(EMPTY))
    try:
        text = xml_text.decode(data)
    except xml_text.XmlEncodingError as error:
        _refuse(gettext(error.message, **error.params) if _looks_like_xml(data) else gettext(NOT_BPMN))
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        _refuse(gettext(NOT_BPMN))
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False))
    except etree.XMLSyntaxError as error:
        _refuse(gettext(NOT_WELL_FORMED, line=error.lineno or 1))
    qname = etree.QName(root)
    if qname.namespace != BPMN_MODEL or qname.localname != "definitions":
        _refuse(gettext(NOT_DEFINITIONS, root=qname.localname))
    return text


def _looks_like_xml(data: bytes) -> bool:
    """A file that begins like XML (in any of the encodings XML may be in) but could not be
    read in its declared encoding: that is worth saying; other bytes are simply not BPMN."""
    head = data.lstrip(b" \t\r\n")
    return head[:1] == b"<" or head[:2] in (b"<\0", b"\0<", b"\xff\xfe", b"\xfe\xff") or head[:3] == b"\xef\xbb\xbf"


def _refuse(message: str):
    abort(make_response(jsonify(ok=False, message=message,
                                problems=[{"element_id": None, "line": None, "message": message, "detail": ""}]), 422))
