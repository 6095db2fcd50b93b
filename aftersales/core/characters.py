"""Which characters text may hold: tab and line breaks yes, other control characters and lone
surrogates no (Excel/XML cannot store them, PostgreSQL refuses NUL, PDFs and pages garble
them). Checked on input by the API for every string and by the name validators for pages."""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = frozenset("\t\n\r")


def bad_character(text: str) -> bool:
    """True when `text` holds a control character (other than tab and line breaks) or a lone
    surrogate."""
    return any(
        unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROLS
        for ch in text
        if ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff"
    )
