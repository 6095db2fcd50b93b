"""Image uploads: checked by content, re-encoded (which drops EXIF and location metadata),
stored under generated names through Django's default storage (the data directory's
`uploads/`, outside the static root; shared object storage when `AFTERSALES_S3_*` is set, so
every web machine sees every other's photos and signatures)."""

from __future__ import annotations

import io
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

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


def clean_image(upload: Any, field: str = "attachments") -> tuple[bytes, str, str]:
    """(re-encoded bytes, content type, extension), or ValidationFailed (on `field`) for
    anything that is not a plain JPEG, PNG or WebP image of a sane size: the content decides,
    never the name. Re-encoding drops EXIF (location) and anything appended to the file."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationFailed({field: _("Each image may be at most 10 MB.")})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationFailed({field: _("Each image may be at most 10 MB.")})
    if not data:
        raise ValidationFailed({field: _("The file is empty.")})
    too_large = ValidationFailed({field: _("The image is too large.")})
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused, not merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise UnidentifiedImageError(probe.format)
                if probe.width * probe.height > MAX_PIXELS:
                    raise too_large
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                content_type, ext = FORMATS[str(img.format)]
                upright = ImageOps.exif_transpose(img)  # keep the photo upright, drop its EXIF
                out = io.BytesIO()
                if ext == "png":
                    upright.save(out, "PNG", optimize=True)
                else:
                    upright.convert("RGB").save(out, "JPEG", quality=85)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError):
        raise ValidationFailed(
            {field: _("Only JPEG, PNG or WebP images can be attached.")}
        ) from None
    return out.getvalue(), content_type, ext


def display_name(name: Any) -> str:
    """The uploaded file's own name for display only: no folders, no control characters."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200]


# Every uploaded image, whichever flow stored it, lives under this prefix of the storage.
PREFIX = "orders"
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")


def store(data: bytes, ext: str) -> str:
    name = f"{uuid.uuid4().hex}.{ext}"
    default_storage.save(f"{PREFIX}/{name}", ContentFile(data))
    return name


def open_stored(name: str) -> bytes:
    if not _STORED_NAME.fullmatch(name or ""):
        raise FileNotFoundError(name)
    try:
        with default_storage.open(f"{PREFIX}/{name}", "rb") as stored:
            return bytes(stored.read())
    except OSError as exc:  # missing on disk; object stores raise FileNotFoundError too
        raise FileNotFoundError(name) from exc
