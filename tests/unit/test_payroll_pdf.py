"""The payroll summary PDF: every line, subtotals and totals from fen, page numbers,
Chinese text that survives extraction, and the two empty signature fields."""
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from app.services import payroll_pdf
from app.services.payroll_pdf import Line, Summary, format_yuan, render_summary
from tests.support.identifiers import make_id_number, make_uscc

GC = "上海浦江建设集团有限公司"
SUB = "上海申城劳务分包有限公司"


def make_lines(count: int, enterprises=(GC, SUB)) -> list[Line]:
    lines = []
    for i in range(count):
        gross = 850_000 + i * 101  # fen
        deductions = (i % 4) * 2_505
        lines.append(Line(
            enterprise_name=enterprises[i % len(enterprises)], name=f"工人{i:04d}",
            id_number=make_id_number(birth=date(1980 + i % 20, 1 + i % 12, 1 + i % 28), seq=i % 1000),
            mobile=f"139{i:08d}", job_type_name=("钢筋工", "木工", "架子工")[i % 3], days=18 + i % 10,
            gross_fen=gross, deductions_fen=deductions, net_fen=gross - deductions,
        ))
    return lines


def make_summary(lines: list[Line]) -> Summary:
    return Summary(
        project_name="徐汇滨江综合开发项目", project_code="XH-2024-007", gc_name=GC, gc_uscc=make_uscc(1),
        wage_bank="中国建设银行上海徐汇支行", wage_account_no="31050161360000009876",
        wage_account_name=f"{GC}农民工工资专用账户", batch_no="PB-XH2024007-202405-01", pay_month="2024-05",
        period_start=date(2024, 4, 26), period_end=date(2024, 5, 25), pay_date=date(2024, 6, 5),
        generated_at=datetime(2024, 5, 28, 2, 30, tzinfo=timezone.utc), lines=lines,
    )


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def payroll():
    """(summary, the text of each page): one render of 120 lines shared by the module."""
    summary = make_summary(make_lines(120))
    return summary, page_texts(render_summary(summary))


@pytest.mark.parametrize("fen, text", [
    (0, "0.00"), (5, "0.05"), (99, "0.99"), (100, "1.00"), (123_456, "1,234.56"),
    (100_000_000_01, "100,000,000.01"), (-250, "-2.50"),
])
def test_yuan_is_formatted_from_integer_fen(fen, text):
    assert format_yuan(fen) == text


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_yuan_text_is_exactly_the_fen_amount(fen):
    assert Decimal(format_yuan(fen).replace(",", "")) * 100 == fen


def test_every_line_subtotals_and_the_grand_total_are_in_the_pdf(payroll):
    summary, texts = payroll
    lines, text = summary.lines, "\n".join(texts)
    for line in lines:
        assert line.id_number in text  # in full, as the law requires on the signed payroll
        assert line.name in text and line.mobile in text
        assert format_yuan(line.net_fen) in text
    for enterprise in (GC, SUB):
        own = [x for x in lines if x.enterprise_name == enterprise]
        assert f"用工企业：{enterprise}" in text
        assert f"小计（{len(own)} 人）" in text
        assert format_yuan(sum(x.gross_fen for x in own)) in text
    gross, deductions, net = (sum(getattr(x, f) for x in lines) for f in ("gross_fen", "deductions_fen", "net_fen"))
    assert f"合计（{len(lines)} 人）" in text
    assert (f"应发合计 {format_yuan(gross)} 元，扣款合计 {format_yuan(deductions)} 元，"
            f"实发合计 {format_yuan(net)} 元") in text
    # by hand: 120 × 8,500.00 + 1.01 × (0 + … + 119) − 25.05 × 30 × (1 + 2 + 3) yuan
    assert format_yuan(net) == "1,022,702.40"


def test_header_names_the_employer_project_batch_period_and_wage_account(payroll):
    summary, texts = payroll
    first = texts[0]
    assert "建设工程农民工工资支付汇总表" in first
    for value in (GC, summary.gc_uscc, summary.project_name, summary.project_code, summary.batch_no,
                  "2024-05", "2024-04-26 至 2024-05-25", summary.wage_bank, summary.wage_account_no,
                  summary.wage_account_name, "2024-06-05", "2024-05-28 10:30"):  # generated_at in Shanghai
        assert value in first, value


def test_pages_are_numbered_and_each_repeats_the_column_header(payroll):
    _, texts = payroll
    assert len(texts) > 3
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 / 共 {len(texts)} 页" in text
    for text in texts[:-1]:
        assert "公民身份号码" in text and "实发工资(元)" in text
    assert "用工企业：" in texts[1] and "（续）" in texts[1]


def test_a_short_payroll_fits_on_one_page_with_both_signature_boxes():
    pdf = render_summary(make_summary(make_lines(4)))
    (text,) = page_texts(pdf)
    assert "项目经理签名" in text and "施工总包企业签章" in text
    fields = PdfReader(BytesIO(pdf)).get_fields()
    assert {payroll_pdf.PM_SIGNATURE_FIELD, payroll_pdf.ENTERPRISE_SIGNATURE_FIELD} <= set(fields)
    assert all(fields[f].get("/V") is None for f in (payroll_pdf.PM_SIGNATURE_FIELD,
                                                       payroll_pdf.ENTERPRISE_SIGNATURE_FIELD))


def test_an_overlong_name_is_shrunk_into_its_cell_not_lost():
    line = make_lines(1)[0]
    long_name = "阿卜杜热合曼·买买提江·艾力克木"
    pdf = render_summary(make_summary([Line(**{**line.__dict__, "name": long_name})]))
    assert long_name in page_texts(pdf)[0]


def test_a_character_the_font_lacks_is_spelt_out_not_dropped():
    line = make_lines(1)[0]
    pdf = render_summary(make_summary([Line(**{**line.__dict__, "name": "吉𠮷祥"})]))
    assert "吉[U+20BB7]祥" in page_texts(pdf)[0]


def test_units_left_out_are_printed_before_the_signatures_and_only_when_there_are_any(payroll):
    _, texts = payroll
    assert "本期未纳入" not in "".join(texts)
    summary = make_summary(make_lines(3))
    left_out = (payroll_pdf.LeftOut("上海浦东劳务有限公司", 3), payroll_pdf.LeftOut("吉𠮷机电有限公司", 1))
    text = "".join(page_texts(render_summary(Summary(**{**summary.__dict__, "left_out": left_out}))))
    assert "本期未纳入：上海浦东劳务有限公司（3人签到）、吉[U+20BB7]机电有限公司（1人签到）" in text
    assert text.index("本期未纳入") < text.index("项目经理签名")


def test_five_thousand_lines_render_well_under_fifteen_seconds():
    summary = make_summary(make_lines(5_000, enterprises=(GC, SUB, "上海东方机电安装工程有限公司")))
    # CPU time of this process: what rendering costs, whatever else the machine is running
    started = time.process_time()
    pdf = render_summary(summary)
    elapsed = time.process_time() - started
    assert elapsed < 15, f"{elapsed:.1f} s"
    assert len(PdfReader(BytesIO(pdf)).pages) > 150


def test_a_missing_font_fails_with_a_message_that_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(payroll_pdf, "FONT_PACKAGE", "no_such_font_package")
    monkeypatch.setattr(payroll_pdf, "DEBIAN_FONT", tmp_path / "absent.ttc")
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        render_summary(make_summary(make_lines(1)))
