"""A BPMN upload as text: decoded the way XML says — the byte order mark, else the
encoding its declaration names, else UTF-8 (XML 1.0, appendix F) — and handed on as a
str whose declaration says UTF-8, since the rest of the code stores text and parses it
re-encoded as UTF-8. Line numbers are kept: only the declaration's encoding changes."""
import codecs
import re

from lxml import etree

from app.common.i18n import N_

NOT_BPMN = N_("不是BPMN XML文件")
UNDECLARED = N_("流程图不是 UTF-8 编码，XML 声明中也没有写明其编码。")
UNKNOWN_ENCODING = N_("流程图声明的编码 %(encoding)s 无法识别。")
MISMATCH = N_("流程图的内容与其声明的编码 %(encoding)s 不符。")

# the XML declaration's encoding pseudo-attribute; EncName is [A-Za-z][A-Za-z0-9._-]*
_DECLARED = r"""\A<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]{0,39})\1"""
_DECLARED_BYTES, _DECLARED_TEXT = re.compile(_DECLARED.encode()), re.compile(_DECLARED)
_XML_DECLARATION = re.compile(r"\A<\?xml\s[^>]*?\?>")
# byte order marks, and the first characters "<?" in the UTF-16 and UTF-32 forms
_SNIFFED = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
            (b"<\0\0\0?\0\0\0", "utf-32-le"), (b"\0\0\0<\0\0\0?", "utf-32-be"),
            (b"<\0?\0", "utf-16-le"), (b"\0<\0?", "utf-16-be"))


class XmlEncodingError(ValueError):
    """The bytes cannot be read in the encoding the document names; `message` is a msgid."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message, self.params = message, params


def decode(data: bytes) -> str:
    """The document as text, its declaration (if any) saying encoding="UTF-8"."""
    sniffed = next((name for prefix, name in _SNIFFED if data.startswith(prefix)), None)
    if sniffed:
        label = _family(sniffed).upper()
        text = _decoded(data, sniffed, label)
        if not text.lstrip().startswith("<"):  # a byte order mark in front of something else
            raise XmlEncodingError(MISMATCH, encoding=label)
        declared = _DECLARED_TEXT.match(text)
        if declared and _family(_codec(declared.group(2))) != _family(sniffed):
            raise XmlEncodingError(MISMATCH, encoding=declared.group(2))
    elif data.lstrip(b" \t\r\n")[:1] != b"<":  # a picture, a PDF, plain text: not markup at all
        raise XmlEncodingError(NOT_BPMN)
    else:
        declared = _DECLARED_BYTES.match(data)
        name = declared.group(2).decode("ascii") if declared else None
        text = _decoded(data, _codec(name) if name else "utf-8", name)
        if declared and not text.startswith(declared.group(0).decode("ascii")):
            # e.g. "UTF-16" declared over bytes that are plainly ASCII
            raise XmlEncodingError(MISMATCH, encoding=name)
    return _XML_DECLARATION.sub(_say_utf8, text, count=1)


def _codec(name: str) -> str:
    """Python's codec for an encoding that libxml2 knows too (so none of Python's own,
    such as unicode_escape, that no XML processor would read the same way)."""
    try:
        etree.XMLParser(encoding=name)
        info = codecs.lookup(name)
    except LookupError:
        raise XmlEncodingError(UNKNOWN_ENCODING, encoding=name) from None
    if not info._is_text_encoding:
        raise XmlEncodingError(UNKNOWN_ENCODING, encoding=name)
    return "utf-8-sig" if info.name == "utf-8" else info.name


def _family(codec: str) -> str:
    """utf-16-le and utf-16 are one encoding to a declaration; the byte order mark decides."""
    return re.sub(r"-(le|be|sig)$", "", codecs.lookup(codec).name)


def _decoded(data: bytes, codec: str, declared: str | None) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if declared is None:
            raise XmlEncodingError(UNDECLARED) from None
        raise XmlEncodingError(MISMATCH, encoding=declared) from None


def _say_utf8(match: re.Match) -> str:
    declaration = match.group(0)
    encoding = _DECLARED_TEXT.match(declaration)
    if encoding is None:
        return declaration
    start, end = encoding.span(2)
    return declaration[:start] + "UTF-8" + declaration[end:]
