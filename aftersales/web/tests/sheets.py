"""Reading a downloaded Excel export in a test."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """The rows (values) of the workbook a view answered with; the answer must be one."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
