"""The visible signature boxes of the signed payroll PDF: each stamp reads the signer's role
and name (from the certificate) over the signing time in Shanghai, set in an embedded CJK
font whose text extracts back as Chinese — and the signatures still validate."""
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from app.services import demo_ca, signature_stamp, signing
from app.services.payroll_pdf import ENTERPRISE_SIGNATURE_FIELD as ENT
from app.services.payroll_pdf import PM_SIGNATURE_FIELD as PM
from app.services.payroll_pdf import SIGNER_ROLES, render_summary
from tests.support.identifiers import make_id_number, make_uscc
from tests.unit.test_payroll_pdf import make_lines, make_summary

PM_ID = make_id_number(seq=11)
USCC = make_uscc(5)
GC_NAME = "上海浦江建设集团有限公司"


@pytest.fixture(scope="module")
def ca():
    return demo_ca.create_ca()


@pytest.fixture(scope="module")
def signed(ca):
    pdf = render_summary(make_summary(make_lines(3)))
    pdf = signing.sign(pdf, PM, demo_ca.issue_person(ca, "陈振华", PM_ID, "pw"), "pw", PM_ID, [ca.cert_pem],
                       role=SIGNER_ROLES[PM])
    return signing.sign(pdf, ENT, demo_ca.issue_enterprise(ca, GC_NAME, USCC, "pw"), "pw", USCC, [ca.cert_pem],
                        role=SIGNER_ROLES[ENT])


def stamp_texts(pdf: bytes) -> dict[str, str]:
    """The text of each signature widget's appearance, read as a viewer draws it: the
    appearance stream placed on a blank page, whose text pypdf extracts through the font's
    ToUnicode map."""
    texts = {}
    for page in PdfReader(BytesIO(pdf)).pages:
        for ref in page.get("/Annots") or []:
            widget = ref.get_object()
            if widget.get("/FT") != "/Sig":
                continue
            canvas = PdfWriter().add_blank_page(400, 100)
            canvas[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject("/Stamp"): widget["/AP"]["/N"]})})
            content = DecodedStreamObject()
            content.set_data(b"/Stamp Do")
            canvas[NameObject("/Contents")] = content
            texts[str(widget["/T"])] = canvas.extract_text()
    return texts


def test_each_box_shows_the_signers_role_name_and_shanghai_time(signed, ca):
    report = signing.validate(signed, [ca.cert_pem], [(PM, PM_ID), (ENT, USCC)])
    assert report.ok, report
    texts = stamp_texts(signed)
    for check, role, name in ((report.signatures[0], "项目经理", "陈振华"),
                              (report.signatures[1], "施工总包单位", GC_NAME)):
        lines = [line.strip() for line in texts[check.field_name].splitlines() if line.strip()]
        assert len(lines) == 2 and lines[0] == f"{role}：{name}", texts
        # the box is drawn a moment before the signature's own time, in Shanghai minutes
        stamped = datetime.strptime(lines[1], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        assert timedelta(0) <= check.signed_at - stamped < timedelta(minutes=2), (lines[1], check.signed_at)


def test_the_stamp_font_is_embedded_with_widths_a_viewer_can_use(signed):
    """A CID font of the stamp's glyphs only, widths in thousandths of an em (a CJK
    ideograph is one em: 1000), so the characters do not stand apart."""
    reader = PdfReader(BytesIO(signed))
    widget = next(a.get_object() for a in reader.pages[0]["/Annots"] if a.get_object().get("/T") == PM)
    fonts = []

    def collect(xobject):
        resources = xobject.get("/Resources") or {}
        fonts.extend(f.get_object() for f in (resources.get("/Font") or {}).values())
        for inner in (resources.get("/XObject") or {}).values():
            collect(inner.get_object())

    collect(widget["/AP"]["/N"].get_object())
    [font] = fonts
    descendant = font["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"] and "/ToUnicode" in font
    widths = [w for entry in descendant["/W"] if isinstance(entry, list) for w in entry]
    assert max(widths) == 1000


def test_the_signer_line_reads_role_and_name():
    assert signature_stamp.signer_line("项目经理", "陈振华") == "项目经理：陈振华"
    assert signature_stamp.signer_line(None, "陈振华") == "陈振华"
    assert signature_stamp.signer_line("项目经理", None) == "项目经理"
