"""An erasure's certificate as PDF (fpdf2, as signed waivers are): the organization, when, who, the
reference, per part what was erased, anonymized or kept and why, and the SHA-256 of the JSON certificate."""

import json

from fpdf import FPDF
from fpdf.fonts import FontFace

from privacy.models import ErasureRecord
from waivers.pdf import UNICODE_FONT


def certificate_pdf(record: ErasureRecord) -> bytes:
    certificate = json.loads(record.certificate)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    font, unicode = "helvetica", False
    if UNICODE_FONT.exists():
        pdf.add_font("body", fname=str(UNICODE_FONT))
        font, unicode = "body", True

    def text(value) -> str:
        value = str(value)
        return value if unicode else value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(text(f"Erasure certificate {record.reference}"))
    pdf.add_page()
    pdf.set_font(font, size=16)
    pdf.multi_cell(0, 8, text("Certificate of erasure"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    for label, key in [
        ("Organization", "organization"),
        ("Reference", "reference"),
        ("Erased at", "erased_at"),
        ("Erased by", "erased_by"),
        ("Customer number", "customer_id"),
    ]:
        pdf.cell(40, 6, text(label))
        pdf.multi_cell(0, 6, text(certificate[key]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(font, size=9)
    with pdf.table(col_widths=(30, 62, 22, 14, 62), text_align="LEFT", headings_style=FontFace()) as table:
        table.row([text(cell) for cell in ("Part", "Records", "Done", "Count", "Why kept")])
        for line in certificate["parts"]:
            table.row([text(line[key]) for key in ("part", "what", "action", "count", "why")])
    pdf.ln(4)
    pdf.multi_cell(
        0,
        5,
        text(f"SHA-256 of the JSON certificate ({record.reference}.json): {record.sha256}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
