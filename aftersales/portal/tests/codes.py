"""Reading a sign-in code where the demo's SMS channel puts it: the log."""

from __future__ import annotations

import re
from typing import Any

from aftersales.core.phones import mask_phone


def code_from_log(caplog: Any, phone: str) -> str:
    """The latest code sent to `phone` (the console channel logs the masked number)."""
    for record in reversed(caplog.records):
        text = record.getMessage()
        if mask_phone(phone) in text:
            found = re.search(r"验证码是(\d{6})", text) or re.search(r"code is (\d{6})", text)
            if found:
                return found.group(1)
    raise AssertionError("no code was sent to this phone")
