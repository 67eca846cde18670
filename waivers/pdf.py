"""A signed copy as PDF (fpdf2): the exact text and version signed, for whom and by whom, when, from where,
and the drawn signature."""

import io
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone
from fpdf import FPDF

from waivers.models import Channel, WaiverSignature

# DejaVu Sans draws every script customers' names come in; without it, the core font takes Latin-1 only.
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _document() -> tuple[FPDF, str, bool]:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    if UNICODE_FONT.exists():
        pdf.add_font("body", fname=str(UNICODE_FONT))
        return pdf, "body", True
    return pdf, "helvetica", False


def signed_copy_pdf(signature: WaiverSignature) -> bytes:
    pdf, font, unicode = _document()

    def text(value: str) -> str:
        return value if unicode else value.encode("latin-1", "replace").decode("latin-1")

    organization = signature.organization
    version = signature.version
    signed_at = timezone.localtime(signature.signed_at, ZoneInfo(organization.time_zone))
    pdf.set_title(text(f"{version.template.name} signed by {signature.signer_name}"))
    pdf.add_page()
    pdf.set_font(font, size=16)
    pdf.multi_cell(0, 8, text(version.template.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=9)
    pdf.multi_cell(
        0, 5, text(f"{organization.name} · version {version.number}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.set_font(font, size=10)
    pdf.multi_cell(0, 5, text(version.text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    rows = [
        ("For", signature.customer_name),
        ("Signed by", signature.signer_name),
        ("Typed name", signature.typed_name),
        ("Signed", f"{signed_at:%b %-d, %Y %H:%M} ({organization.time_zone})"),
        (
            "Valid until",
            f"{timezone.localtime(signature.valid_until, ZoneInfo(organization.time_zone)):%b %-d, %Y}"
            if signature.valid_until
            else "No end date",
        ),
        ("How", Channel(signature.channel).label),
        ("IP address", signature.ip or "—"),
    ]
    for label, value in rows:
        pdf.set_font(font, size=9)
        pdf.cell(30, 6, text(label))
        pdf.multi_cell(0, 6, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.image(io.BytesIO(bytes(signature.signature_png)), w=80)
    return bytes(pdf.output())
