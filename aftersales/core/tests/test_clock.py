"""The clock actions read: the real time, or the replayed moment inside `clock.at()`."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from aftersales.core import clock


def test_outside_a_replay_the_clock_is_the_real_time():
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert not clock.replaying() and clock.source() == ""


def test_inside_a_replay_every_reading_is_the_moment_and_it_ends_with_the_block():
    moment = dt.datetime(2023, 5, 1, 23, 30, tzinfo=dt.UTC)
    with clock.at(moment, source="import"):
        assert clock.now() == moment
        assert clock.replaying() and clock.source() == "import"
        # 23:30 UTC is already the next day in Shanghai.
        assert clock.today() == dt.date(2023, 5, 2)
        inner = moment + dt.timedelta(hours=1)
        with clock.at(inner):
            assert clock.now() == inner and clock.source() == "backfill"
        assert clock.now() == moment and clock.source() == "import"
    assert not clock.replaying() and clock.source() == ""


def test_the_replayed_moment_does_not_leak_into_another_thread():
    seen: list[bool] = []
    with clock.at(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)):
        worker = threading.Thread(target=lambda: seen.append(clock.replaying()))
        worker.start()
        worker.join()
    assert seen == [False]


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError), clock.at(dt.datetime(2020, 1, 1)):
        pass


@pytest.mark.django_db
def test_rows_written_in_a_replay_carry_its_time_and_source():
    from aftersales.orders.models import OrderEvent

    moment = dt.datetime(2022, 3, 4, 5, 6, tzinfo=dt.UTC)
    with clock.at(moment, source="import"):
        defaults = {
            f.name: f.get_default() for f in OrderEvent._meta.fields if f.name in ("at", "source")
        }
    assert defaults == {"at": moment, "source": "import"}
    live = {f.name: f.get_default() for f in OrderEvent._meta.fields if f.name == "source"}
    assert live == {"source": ""}


# Where the real time is meant: token expiry and use, account set-up, a backup's file name.
REAL_TIME_ALLOWED = {
    "api/auth.py",
    "accounts/actions.py",
    "core/clock.py",
    "core/management/commands/backup.py",
}


def test_app_code_reads_the_clock_not_the_real_time():
    """A replay (history import) or an as-of backfill only works if every action, selector and
    job asks `clock`; one `timezone.now()` would stamp the present into the past."""
    import pathlib
    import re

    root = pathlib.Path(clock.__file__).resolve().parent.parent
    pattern = re.compile(r"timezone\.(now\(\)|localtime\(\)|localdate\(\))|default=timezone\.now")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        if path.relative_to(root).as_posix() not in REAL_TIME_ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
