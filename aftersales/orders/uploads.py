"""Image uploads: checked by content, re-encoded (which drops EXIF and location metadata),
stored under generated names in the data directory, outside the static root."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from aftersales.core.validation import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 6
MAX_PIXELS = 40_000_000
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/jpeg", "jpg"),
}


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads" / "orders"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_image(upload: Any) -> tuple[bytes, str, str]:
    """(re-encoded bytes, content type, extension), or ValidationFailed for a non-image."""
    if upload.size > MAX_BYTES:
        raise ValidationFailed({"attachments": _("Each image may be at most 10 MB.")})
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in FORMATS:
                raise UnidentifiedImageError(img.format)
            if img.width * img.height > MAX_PIXELS:
                raise ValidationFailed({"attachments": _("The image is too large.")})
            content_type, ext = FORMATS[img.format]
            out = io.BytesIO()
            if ext == "png":
                img.save(out, "PNG", optimize=True)
            else:
                img.convert("RGB").save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed(
            {"attachments": _("Only JPEG, PNG or WebP images can be attached.")}
        ) from None
    return out.getvalue(), content_type, ext


def store(data: bytes, ext: str) -> str:
    name = f"{uuid.uuid4().hex}.{ext}"
    (upload_dir() / name).write_bytes(data)
    return name


def open_stored(name: str) -> bytes:
    path = (upload_dir() / name).resolve()
    if path.parent != upload_dir().resolve():
        raise FileNotFoundError(name)
    return path.read_bytes()
