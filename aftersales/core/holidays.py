"""China's statutory holidays and 调休 make-up working days, from the `chinese-calendar` package.

Pure data access: the database tables are filled from here and a company edits them there.
"""

from __future__ import annotations

import datetime as dt

from chinese_calendar import constants


def published_years() -> list[int]:
    """Years whose State Council schedule the installed package knows."""
    return sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})


def statutory_schedule(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """({day off on a weekday or weekend: holiday name}, {make-up working day: holiday name}) for
    a year. Weekend days inside a holiday are listed too; that does no harm."""
    if year not in published_years():
        raise LookupError(f"no statutory schedule for {year}")
    off = {d: _name(v) for d, v in constants.holidays.items() if d.year == year}
    work = {d: _name(v) for d, v in constants.workdays.items() if d.year == year}
    return off, work


CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _name(value: object) -> str:
    text = str(getattr(value, "value", value))
    return CHINESE_NAMES.get(text, text)
