"""A signature drawn on the screen arrives as a PNG data URL; it is decoded, checked as an
image like any upload (content, size), refused when blank, and stored re-encoded."""

from __future__ import annotations

import base64
import binascii
import io

from django.utils.translation import gettext_lazy as _
from PIL import Image

from aftersales.core.validation import ValidationFailed
from aftersales.orders import uploads

PREFIX = "data:image/png;base64,"
MAX_CHARS = 2 * 1024 * 1024


def decode(value: str, field: str = "signature") -> bytes:
    """Re-encoded PNG bytes of a drawn signature, or ValidationFailed."""
    value = (value or "").strip()
    if not value:
        raise ValidationFailed({field: _("The customer's signature is missing.")})
    if not value.startswith(PREFIX) or len(value) > MAX_CHARS:
        raise ValidationFailed({field: _("The signature could not be read.")})
    try:
        raw = base64.b64decode(value[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({field: _("The signature could not be read.")}) from None
    data, _content_type, ext = uploads.clean_image(io.BytesIO(raw), field=field)
    if ext != "png" or is_blank(data):
        raise ValidationFailed({field: _("The customer's signature is missing.")})
    return data


def is_blank(png: bytes) -> bool:
    """True when nothing was drawn: no dark stroke on a transparent or white background."""
    with Image.open(io.BytesIO(png)) as img:
        rgba = img.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    strokes = grey.point(lambda p: 255 if p < 160 else 0)
    return strokes.getbbox() is None
