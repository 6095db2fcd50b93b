"""Reading a downloaded Excel export in a test."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook


def shown(cell: Any) -> Any:
    """A cell's value as a spreadsheet shows it: an amount (a number cell formatted "0.00")
    as "398.00"; anything else as it is."""
    value, fmt = cell.value, cell.number_format or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and fmt.startswith("0."):
        return f"{value:.{len(fmt) - 2}f}"
    return value


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """The rows of the workbook a view answered with (the answer must be one), each cell as a
    spreadsheet shows it (`shown`)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(shown(c) for c in row) for row in sheet.iter_rows()]
