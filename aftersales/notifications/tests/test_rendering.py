"""Templates, quiet hours and back-off (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.notifications import rendering

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("工单{number}已完工", {"number": "A1"}, "工单A1已完工"),
        ("{missing} stays", {}, "{missing} stays"),
        ("{0} and {a.b} and {a[0]}", {"a": "x"}, "{0} and {a.b} and {a[0]}"),
        ("no placeholders", {"x": 1}, "no placeholders"),
        ("{{literal}}", {"literal": "no"}, "{literal}"),
        ("{n:>5}", {"n": 3}, "3"),
    ],
)
def test_render_fills_known_placeholders_and_keeps_the_rest(text, context, expected):
    assert rendering.render(text, context) == expected


def test_every_event_has_chinese_and_english_defaults_using_only_its_variables():
    for event, variables in rendering.EVENTS.items():
        for language in ("zh-hans", "en"):
            subject, body = rendering.template_for(event, language)
            filled = rendering.render(body, dict.fromkeys(variables, "X"))
            assert "{" not in filled, (event, language)
            assert subject


def test_a_company_template_wins_and_an_unknown_language_falls_back_to_chinese():
    custom = {("eta", "en"): ("Coming", "{technician} at {eta}")}
    assert rendering.template_for("eta", "en", custom) == ("Coming", "{technician} at {eta}")
    assert rendering.template_for("eta", "fr") == rendering.DEFAULTS[("eta", "zh-hans")]
    with pytest.raises(KeyError):
        rendering.template_for("nope", "en")


QUIET = rendering.QuietHours(dt.time(21), dt.time(8))


@pytest.mark.parametrize(
    ("now", "event", "expected"),
    [
        (
            dt.datetime(2026, 12, 1, 14, 0, tzinfo=TZ),
            "survey",
            dt.datetime(2026, 12, 1, 14, 0, tzinfo=TZ),
        ),
        (
            dt.datetime(2026, 12, 1, 22, 30, tzinfo=TZ),
            "survey",
            dt.datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
        ),
        (
            dt.datetime(2026, 12, 2, 6, 15, tzinfo=TZ),
            "report",
            dt.datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
        ),
        (
            dt.datetime(2026, 12, 1, 22, 30, tzinfo=TZ),
            "otp",
            dt.datetime(2026, 12, 1, 22, 30, tzinfo=TZ),
        ),
        (
            dt.datetime(2026, 12, 1, 21, 0, tzinfo=TZ),
            "survey",
            dt.datetime(2026, 12, 2, 8, 0, tzinfo=TZ),
        ),
        (
            dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ),
            "survey",
            dt.datetime(2026, 12, 1, 8, 0, tzinfo=TZ),
        ),
    ],
)
def test_quiet_hours_hold_messages_that_can_wait(now, event, expected):
    assert rendering.send_after(now, QUIET, event) == expected


def test_quiet_hours_within_a_day_and_none():
    lunch = rendering.QuietHours(dt.time(12), dt.time(13, 30))
    now = dt.datetime(2026, 12, 1, 12, 10, tzinfo=TZ)
    assert rendering.send_after(now, lunch, "survey") == now.replace(hour=13, minute=30, second=0)
    assert rendering.send_after(now, None, "survey") == now
    assert not rendering.QuietHours(dt.time(9), dt.time(9)).contains(dt.time(9))


def test_backoff_doubles_and_is_capped():
    waits = [rendering.backoff(n).total_seconds() / 60 for n in range(1, 11)]
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) == 240 and waits == sorted(waits)
