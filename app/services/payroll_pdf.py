"""The payroll summary PDF (工资支付汇总表) that the GC PM and the GC enterprise sign.

Input is plain dataclasses (no models), output is PDF bytes: A4 landscape, every line
grouped by enterprise with subtotals, the grand total, the units left out of the
period (本期未纳入：…) when there are any, "第 x 页 / 共 y 页" on every page, and two labelled signature boxes at the end that carry empty PDF signature
fields (`PM_SIGNATURE_FIELD`, `ENTERPRISE_SIGNATURE_FIELD`), so a signature made by
`signing.sign` with those names shows inside its box.

Font: WenQuanYi Micro Hei (wqy-microhei.ttc, Apache-2.0 / GPLv3). It comes from the
PyPI package ``paperang-p2-fonts-cjk`` (pinned in pyproject.toml, so ``make setup``
alone provides it; its file is byte-identical to Debian's), falling back to Debian's
fonts-wqy-microhei at /usr/share/fonts/truetype/wqy/. Chosen over Noto Sans SC (also
on PyPI) because its TrueType outlines embed as CID TrueType with Identity-H, so text
extraction (search, copy, pypdf) gives the Chinese back; fpdf2 reads the .ttc directly.

Money is integer fen, formatted with divmod, never through floats.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

PM_SIGNATURE_FIELD = "pm_signature"
ENTERPRISE_SIGNATURE_FIELD = "enterprise_signature"
# Who signs in each box, as its visible stamp names them ("项目经理：陈振华").
SIGNER_ROLES = {PM_SIGNATURE_FIELD: "项目经理", ENTERPRISE_SIGNATURE_FIELD: "施工总包单位"}

FONT_PACKAGE = "paperang_p2_fonts_cjk"
DEBIAN_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Line:
    enterprise_name: str
    name: str
    id_number: str  # in full: the signed payroll must identify the worker
    mobile: str
    job_type_name: str
    days: int
    gross_fen: int
    deductions_fen: int
    net_fen: int


@dataclass(frozen=True)
class LeftOut:
    """本期未纳入: a unit whose workers signed in during the period, left out of this batch
    by the GC PM's explicit choice."""

    name: str
    workers: int  # how many of its people signed in


@dataclass(frozen=True)
class Summary:
    project_name: str
    project_code: str
    gc_name: str
    gc_uscc: str
    wage_bank: str
    wage_account_no: str
    wage_account_name: str
    batch_no: str
    pay_month: str  # "YYYY-MM"
    period_start: date
    period_end: date
    pay_date: date | None
    generated_at: datetime
    lines: list[Line]
    left_out: tuple[LeftOut, ...] = ()


def format_yuan(fen: int) -> str:
    """12345678 → "123,456.78"; integer arithmetic only."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def find_font() -> Path:
    try:
        packaged = resources.files(FONT_PACKAGE) / "fonts" / "wqy-microhei.ttc"
        if packaged.is_file():
            return Path(str(packaged))
    except ModuleNotFoundError:
        pass
    if DEBIAN_FONT.is_file():
        return DEBIAN_FONT
    raise RuntimeError(
        "No CJK font for the payroll PDF: install the project (`make setup` brings the "
        "PyPI package paperang-p2-fonts-cjk) or `apt-get install fonts-wqy-microhei`."
    )


def render_summary(summary: Summary) -> bytes:
    pdf = _SummaryPdf(summary)
    pdf.render()
    return _with_signature_fields(bytes(pdf.output()), pdf.signature_boxes)


# --- layout -------------------------------------------------------------------------
# (title, width mm, align); widths add up to the 277 mm between A4-landscape margins
COLUMNS = [
    ("序号", 14, "C"), ("姓名", 30, "C"), ("公民身份号码", 46, "C"), ("手机号码", 30, "C"),
    ("工种", 44, "C"), ("出勤天数", 21, "R"), ("应发工资(元)", 32, "R"),
    ("扣款(元)", 28, "R"), ("实发工资(元)", 32, "R"),
]
ROW_H = 6
FONT_PT = 9
MARGIN = 10
SIG_BOX_W, SIG_BOX_H = 120, 42


@dataclass(frozen=True)
class _Totals:
    count: int
    days: int
    gross_fen: int
    deductions_fen: int
    net_fen: int


def _totals(lines: Iterable[Line]) -> _Totals:
    lines = list(lines)
    return _Totals(
        len(lines), sum(x.days for x in lines), sum(x.gross_fen for x in lines),
        sum(x.deductions_fen for x in lines), sum(x.net_fen for x in lines),
    )


def _groups(lines: list[Line]) -> dict[str, list[Line]]:
    # enterprises in order of first appearance; lines keep their order inside each
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.enterprise_name, []).append(line)
    return groups


class _SummaryPdf(FPDF):
    def __init__(self, summary: Summary):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.summary = summary
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=14)
        self.add_font("cjk", "", str(find_font()))
        self.glyphs = set(self.fonts["cjk"].cmap)
        self.set_title(f"工资支付汇总表 {summary.batch_no}")
        self.set_creator("realname")
        self.in_table = False  # pages started inside the table repeat its column header
        self.table_group: str | None = None  # the enterprise whose rows are being drawn
        self.row_no = 0
        self.signature_boxes: list[tuple[str, int, tuple[float, float, float, float]]] = []

    # fpdf2 calls header()/footer() on every page, including automatic page breaks
    def header(self):
        self.set_font("cjk", size=FONT_PT)
        if self.page_no() > 1:
            s = self.summary
            self._fit_cell(0, 6, f"工资支付汇总表（续） {s.project_name}  批次号：{s.batch_no}  "
                                 f"工资月份：{s.pay_month}", "L", new_line=True)
        if self.in_table:
            self._column_header()
        if self.table_group is not None:
            self._group_row(f"用工企业：{self.table_group}（续）")

    def footer(self):
        self.set_y(-11)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")

    def render(self):
        self.add_page()
        self._title_block()
        groups = _groups(self.summary.lines)
        self._column_header()
        self.in_table = True
        for enterprise, lines in groups.items():
            self._group_row(f"用工企业：{enterprise}")
            self.table_group = enterprise
            for line in lines:
                self._line_row(line)
            self._total_row("小计", _totals(lines))
            self.table_group = None
        self._total_row("合计", _totals(self.summary.lines), fill=215)
        self.in_table = False
        self._grand_total_text(_totals(self.summary.lines), len(groups))
        self._left_out_text()
        self._signature_boxes()

    def _title_block(self):
        s = self.summary
        self.set_font("cjk", size=18)
        self.cell(0, 11, "建设工程农民工工资支付汇总表", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=FONT_PT + 1)
        pay_date = s.pay_date.isoformat() if s.pay_date else "—"
        generated = s.generated_at.astimezone(SHANGHAI) if s.generated_at.tzinfo else s.generated_at
        rows = [
            (f"用工单位（施工总包）：{s.gc_name}", f"统一社会信用代码：{s.gc_uscc}"),
            (f"项目名称：{s.project_name}", f"项目编号：{s.project_code}"),
            (f"银行交换批次号：{s.batch_no}",
             f"工资月份：{s.pay_month}    计薪周期：{s.period_start.isoformat()} 至 {s.period_end.isoformat()}"),
            (f"工资专用账户开户行：{s.wage_bank}", f"户名：{s.wage_account_name}    账号：{s.wage_account_no}"),
            (f"发放日期：{pay_date}", f"生成时间：{generated:%Y-%m-%d %H:%M}"),
        ]
        for left, right in rows:
            self._fit_cell(150, 6.5, left, "L")
            self._fit_cell(0, 6.5, right, "L", new_line=True)
        self.ln(2)

    def _column_header(self):
        self.set_fill_color(225)
        for title, width, _ in COLUMNS:
            self.cell(width, ROW_H, title, border=1, align="C", fill=True)
        self.ln(ROW_H)

    def _group_row(self, text: str):
        self.set_fill_color(242)
        self._fit_cell(0, ROW_H, text, "L", border=1, fill=True, new_line=True)

    def _line_row(self, line: Line):
        self.row_no += 1
        values = (str(self.row_no), line.name, line.id_number, line.mobile, line.job_type_name, str(line.days),
                  format_yuan(line.gross_fen), format_yuan(line.deductions_fen), format_yuan(line.net_fen))
        for (_, width, align), value in zip(COLUMNS, values, strict=True):
            self._fit_cell(width, ROW_H, value, align, border=1)
        self.ln(ROW_H)

    def _total_row(self, label: str, t: _Totals, fill: int = 235):
        self.set_fill_color(fill)
        label_w = sum(w for _, w, _ in COLUMNS[:5])
        self._fit_cell(label_w, ROW_H, f"{label}（{t.count} 人）", "L", border=1, fill=True)
        values = (str(t.days), format_yuan(t.gross_fen), format_yuan(t.deductions_fen), format_yuan(t.net_fen))
        for (_, width, _), value in zip(COLUMNS[5:], values, strict=True):
            self._fit_cell(width, ROW_H, value, "R", border=1, fill=True)
        self.ln(ROW_H)

    def _grand_total_text(self, t: _Totals, enterprises: int):
        self.ln(3)
        self.set_font("cjk", size=FONT_PT + 1)
        self.multi_cell(0, 6, (
            f"本批次共 {enterprises} 家企业、{t.count} 名工人，出勤合计 {t.days} 天；"
            f"应发合计 {format_yuan(t.gross_fen)} 元，扣款合计 {format_yuan(t.deductions_fen)} 元，"
            f"实发合计 {format_yuan(t.net_fen)} 元。"
        ), new_x="LMARGIN", new_y="NEXT")

    def _left_out_text(self):
        units = self.summary.left_out
        if not units:
            return
        names = "、".join(f"{unit.name}（{unit.workers}人签到）" for unit in units)
        self.multi_cell(0, 6, self._printable(f"本期未纳入：{names}。以上单位经施工总包项目经理确认不纳入本批次。"),
                        new_x="LMARGIN", new_y="NEXT")

    def _signature_boxes(self):
        self.ln(4)
        if self.get_y() + SIG_BOX_H + 2 > self.page_break_trigger:
            self.add_page()
        top = self.get_y()
        labels = [(PM_SIGNATURE_FIELD, "项目经理签名（数字证书）"),
                  (ENTERPRISE_SIGNATURE_FIELD, "施工总包企业签章（数字证书）")]
        for i, (field, label) in enumerate(labels):
            left = MARGIN + i * (SIG_BOX_W + 20)
            self.rect(left, top, SIG_BOX_W, SIG_BOX_H)
            self.set_xy(left + 2, top + 1.5)
            self.set_font("cjk", size=FONT_PT + 1)
            self.cell(SIG_BOX_W - 4, 6, label)
            # the signature field fills the box below its label; PDF points from the bottom
            pt = 72 / 25.4
            x1, x2 = (left + 2) * pt, (left + SIG_BOX_W - 2) * pt
            y1, y2 = (self.h - top - SIG_BOX_H + 2) * pt, (self.h - top - 9) * pt
            self.signature_boxes.append((field, self.page_no() - 1, (x1, y1, x2, y2)))
        self.set_y(top + SIG_BOX_H)

    def _printable(self, text: str) -> str:
        # a character the font lacks (rare ones in names) is spelt out, never silently dropped
        if not self.glyphs.issuperset(map(ord, text)):
            text = "".join(c if ord(c) in self.glyphs else f"[U+{ord(c):04X}]" for c in text)
        return text

    def _fit_cell(self, w, h, text, align, border=0, fill=False, new_line=False):
        text = self._printable(text)
        # shrink rather than overflow into the next column (long names, enterprise names)
        width = w or (self.w - self.r_margin - self.get_x())
        size = self.font_size_pt
        room = width - 2 * self.c_margin
        text_w = self.get_string_width(text)
        if text_w > room:
            self.set_font_size(max(5, size * room / text_w))
        self.cell(w, h, text, border=border, align=align, fill=fill,
                  new_x="LMARGIN" if new_line else "RIGHT", new_y="NEXT" if new_line else "TOP")
        if text_w > room:
            self.set_font_size(size)


def _with_signature_fields(pdf: bytes, boxes) -> bytes:
    """Add the empty signature fields inside the printed boxes (before anyone signs)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    for name, page, box in boxes:
        append_signature_field(writer, SigFieldSpec(name, on_page=page, box=box))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
