"""The visible stamp of a PDF signature: who signed, in what role, and when —
"项目经理：陈振华" over "2026-12-03 14:05" (Shanghai time) — set in the CJK font the payroll
PDF itself uses (WenQuanYi Micro Hei, see payroll_pdf.find_font).

pyHanko's default stamp font is Latin-only, so a Chinese name would come out as empty
boxes. Its OpenType engine (pyHanko[opentype]: HarfBuzz shaping, a CID TrueType subset
with a ToUnicode map, so the stamp's text can be searched and extracted) reads one font,
not a .ttc collection: the first face of the collection is taken out once per process,
and cut down to the stamp's own characters before pyHanko embeds it (pyHanko subsetting
the whole 30,000-glyph face took over a second per signature; this takes a fraction).
"""
import functools
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from app.services.payroll_pdf import find_font

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAMP_TEXT = "%(signer_line)s\n%(shanghai_time)s"
FONT_SIZE = 10


@functools.lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    """The collection's first face (Micro Hei; the second is its monospaced twin) as one .ttf."""
    path = find_font()
    font = TTCollection(str(path)).fonts[0] if path.suffix.lower() == ".ttc" else TTFont(str(path))
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _font_for(text: str) -> bytes:
    """The face with only the glyphs `text` needs (outlines, widths, cmap: what a PDF uses)."""
    options = subset.Options()
    options.hinting, options.layout_features, options.notdef_outline = False, [], True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    font = TTFont(BytesIO(_font_bytes()), lazy=True)
    subsetter.subset(font)
    # pyHanko writes the glyph widths in font units, which PDF reads as thousandths of an em:
    # at Micro Hei's 2048 units per em the glyphs would stand twice as far apart.
    scale_upem(font, 1000)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


class CjkFontFactory(FontEngineFactory):
    """pyHanko's GlyphAccumulatorFactory, fed the face cut down to the stamp's text."""

    def __init__(self, text: str, font_size: int = FONT_SIZE):
        self.font, self.font_size = _font_for(text), font_size

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=BytesIO(self.font), font_size=self.font_size,
                                obj_stream=obj_stream)


def style(params: dict[str, str]) -> TextStampStyle:
    """The stamp for these text parameters (see text_params)."""
    font = CjkFontFactory(STAMP_TEXT % params)
    return TextStampStyle(stamp_text=STAMP_TEXT, text_box_style=TextBoxStyle(font=font), border_width=0)


def signer_line(role: str | None, name: str | None) -> str:
    """"项目经理：陈振华"; the name alone without a role, the role alone without a name."""
    if role and name:
        return f"{role}：{name}"
    return role or name or ""


def text_params(role: str | None, name: str | None, at: datetime) -> dict[str, str]:
    """The values of STAMP_TEXT's parameters (not pyHanko's own %(ts)s, which it always sets
    to the signing time in UTC)."""
    return {"signer_line": signer_line(role, name),
            "shanghai_time": at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
