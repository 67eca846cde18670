"""The drawn signature: a PNG data URL posted by the signature pad, checked to be a real, bounded, non-empty
PNG and stored re-encoded (no chunks of the sender's survive)."""

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from waivers.models import SIGNATURE_MAX_BYTES

PREFIX = "data:image/png;base64,"
MAX_WIDTH, MAX_HEIGHT = 2000, 1000
MIN_INK_PIXELS = 30  # fewer dark pixels than this is a tap, not a signature


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a drawn signature, or ValidationError saying what is wrong."""
    if not data_url:
        raise ValidationError("Draw your signature in the box.")
    if not data_url.startswith(PREFIX):
        raise ValidationError("The signature must be a PNG image drawn in the box.")
    encoded = data_url[len(PREFIX) :]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError("The drawn signature is too large. Clear it and sign again.")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("The signature must be a PNG image drawn in the box.") from None
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise ValidationError("The drawn signature is too large. Clear it and sign again.")
    try:
        image = Image.open(io.BytesIO(raw))
        if image.format != "PNG":
            raise ValidationError("The signature must be a PNG image drawn in the box.")
        if image.width > MAX_WIDTH or image.height > MAX_HEIGHT:
            raise ValidationError("The drawn signature is too large. Clear it and sign again.")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("The signature must be a PNG image drawn in the box.") from None
    drawn = image.convert("RGBA")
    on_white = Image.alpha_composite(Image.new("RGBA", drawn.size, "white"), drawn).convert("L")
    ink = sum(on_white.histogram()[:128])
    if ink < MIN_INK_PIXELS:
        raise ValidationError("Draw your signature in the box.")
    out = io.BytesIO()
    drawn.save(out, format="PNG", optimize=True)
    return out.getvalue()
