"""The model builder and solver on small hand-made days (plain data, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.dispatch.optimizer import solomon
from aftersales.dispatch.optimizer.explain import assignment_reasons
from aftersales.dispatch.optimizer.problem import Job, Problem, Worker, refusal
from aftersales.dispatch.optimizer.schedule import best_insertion, plan_violations, time_route
from aftersales.dispatch.optimizer.solver import solve
from aftersales.dispatch.optimizer.travel import (
    EuclideanTravel,
    HaversineTravel,
    Point,
    haversine_m,
)

H = 3600
DAY = ((8 * H, 18 * H),)
STATION = Point(121.47, 31.23)  # Shanghai

# The searches here stop on their iteration limits (no improvement for 3,000 iterations by
# default, or `max_iterations`), never on the clock: the same plan on a slow or busy machine.
NO_CLOCK = 600


def near(dx_km: float, dy_km: float = 0.0) -> Point:
    # ~1 km per 0.0105° of longitude at this latitude, 0.009° of latitude
    return Point(STATION.x + dx_km * 0.0105, STATION.y + dy_km * 0.009)


def worker(wid: str, **kw) -> Worker:
    base = {"id": wid, "start": STATION, "end": STATION, "shift_start": 8 * H, "shift_end": 18 * H}
    base.update(kw)
    return Worker(**base)


def job(jid: int, at: Point, **kw) -> Job:
    base = {"id": jid, "at": at, "service": H, "windows": DAY}
    base.update(kw)
    return Job(**base)


def problem(jobs: list[Job], workers: list[Worker]) -> Problem:
    return Problem(jobs=jobs, workers=workers, travel=HaversineTravel(detour=1.3, speed_kmh=30))


def assigned(plan) -> dict:
    return {j: r.worker for r in plan.routes for j in r.jobs}


def test_haversine_one_degree_of_latitude_is_111_km():
    assert haversine_m(Point(0, 0), Point(0, 1)) == pytest.approx(111_195, rel=1e-3)


def test_travel_matrices_apply_detour_and_speed():
    dist, dur = HaversineTravel(detour=1.5, speed_kmh=36).matrices([Point(0, 0), Point(0, 1)])
    assert dist[0, 1] == pytest.approx(111_195 * 1.5, rel=1e-3)
    assert dur[0, 1] == pytest.approx(dist[0, 1] / 10, rel=1e-3)  # 36 km/h = 10 m/s
    assert dist[0, 0] == 0


def test_skill_less_technician_never_gets_a_job_that_needs_the_skill():
    jobs = [job(i, near(i), skills={"ac": 2}) for i in range(1, 6)]
    jobs += [job(10 + i, near(-i)) for i in range(1, 4)]
    workers = [worker("novice", skills={"ac": 1}), worker("expert", skills={"ac": 3})]
    plan = solve(problem(jobs, workers), seconds=NO_CLOCK)
    got = assigned(plan)
    assert plan.feasible
    for i in range(1, 6):
        assert got.get(i) == "expert"
    assert refusal(workers[0], jobs[0]) == "skill"


def test_job_nobody_qualified_for_is_left_out_with_the_skill_reason():
    plan = solve(problem([job(1, near(3), skills={"gas": 1})], [worker("w")]), seconds=NO_CLOCK)
    assert plan.routes == [] and plan.unserved == {1: "skill"}


def test_windows_are_never_violated():
    # Windows spread over the day; the checker re-times every route.
    jobs = [
        job(
            i,
            near((i * 7) % 11 - 5, (i * 3) % 7 - 3),
            service=40 * 60,
            windows=((8 * H + (i % 8) * H, 8 * H + (i % 8) * H + 2 * H),),
        )
        for i in range(1, 25)
    ]
    p = problem(jobs, [worker("a"), worker("b"), worker("c")])
    plan = solve(p, seconds=NO_CLOCK)
    assert plan.feasible and plan_violations(p, plan.routes) == []
    for route in plan.routes:
        for stop in route.stops:
            j = p.jobs_by_id[stop.job]
            assert j.early <= stop.start <= j.late


def test_locked_visit_stays_with_its_technician():
    # The lock goes against the cheaper choice: job 1 sits next to a's home.
    a_home, b_home = near(-20), near(20)
    jobs = [job(1, near(-19), locked_to="b"), job(2, near(19))]
    workers = [worker("a", start=a_home, end=a_home), worker("b", start=b_home, end=b_home)]
    plan = solve(problem(jobs, workers), seconds=NO_CLOCK)
    assert assigned(plan)[1] == "b"


def test_locked_to_an_absent_technician_is_reported():
    plan = solve(problem([job(1, near(2), locked_to="gone")], [worker("a")]), seconds=NO_CLOCK)
    assert plan.unserved == {1: "locked"}


def test_urgent_order_is_served_before_a_low_one_when_not_all_fit():
    # One technician, one hour-long slot of time: only one of the two fits.
    short = worker("a", shift_start=9 * H, shift_end=11 * H)
    far_urgent = job(1, near(6), priority="high", windows=((9 * H, 10 * H),))
    close_low = job(2, near(1), priority="low", windows=((9 * H, 10 * H),))
    plan = solve(problem([close_low, far_urgent], [short]), seconds=NO_CLOCK)
    assert assigned(plan) == {1: "a"}
    assert plan.unserved == {2: "capacity"}


def test_due_today_outranks_the_same_priority_due_later():
    short = worker("a", shift_start=9 * H, shift_end=11 * H)
    later = job(1, near(1), priority="medium", due=40 * H)
    today = job(2, near(5), priority="medium", due=12 * H)
    plan = solve(problem([later, today], [short]), seconds=NO_CLOCK)
    assert set(assigned(plan)) == {2}


def test_rest_period_is_skipped_between_two_windows():
    # Visits may not start 12:00-13:30: an arrival at 12:10 waits until 13:30.
    w = worker("a", start=near(0), end=near(0), shift_start=11 * H, shift_end=18 * H)
    lunch = job(1, near(0.01), service=20 * 60, windows=((8 * H, 12 * H), (13 * H + 1800, 18 * H)))
    blocker = job(2, near(0.02), service=70 * 60, windows=((11 * H, 11 * H + 60),))
    p = problem([blocker, lunch], [w])
    route = time_route(p, w, [blocker, lunch])
    assert route.stops[1].start == 13 * H + 1800
    plan = solve(p, seconds=NO_CLOCK)
    assert plan.feasible and plan.served == 2


def test_window_closed_before_any_shift_is_reported_as_window():
    plan = solve(
        problem([job(1, near(2), windows=((5 * H, 6 * H),))], [worker("a")]), seconds=NO_CLOCK
    )
    assert plan.unserved == {1: "window"}


def test_territory_excludes_technicians_outside_it():
    jobs = [job(1, near(1), territory_workers=frozenset({"b"}))]
    plan = solve(
        problem(jobs, [worker("a"), worker("b", start=near(30), end=near(30))]), seconds=NO_CLOCK
    )
    assert assigned(plan) == {1: "b"}
    plan = solve(problem(jobs, [worker("a")]), seconds=NO_CLOCK)
    assert plan.unserved == {1: "territory"}


def test_max_visits_per_day_is_respected():
    jobs = [job(i, near(i * 0.5), service=10 * 60) for i in range(1, 7)]
    plan = solve(problem(jobs, [worker("a", max_visits=4)]), seconds=NO_CLOCK)
    assert plan.served == 4 and plan.feasible
    assert set(plan.unserved.values()) == {"capacity"}


def test_break_is_reserved_out_of_the_shift():
    jobs = [job(i, near(0.1 * i), service=H) for i in range(1, 11)]
    plan = solve(problem(jobs, [worker("a", break_seconds=H)]), seconds=NO_CLOCK)
    assert plan.served == 8  # 10 h shift - 1 h break leaves 9 h: 9 visits + travel do not fit
    assert plan.feasible


def test_assignment_reasons_give_skill_added_travel_and_slack():
    jobs = [job(1, near(2), skills={"ac": 2}, windows=((9 * H, 12 * H),))]
    p = problem(jobs, [worker("a", skills={"ac": 3}), worker("b")])
    plan = solve(p, seconds=NO_CLOCK)
    why = assignment_reasons(p, plan.routes[0], 0)
    assert why["skills"] == {"ac": 3}
    assert why["others_qualified"] == 0
    assert 5 <= why["added_km"] <= 6  # 2 km out and back, × detour 1.3
    assert why["slack_min"] == 180  # starts at 9:00 sharp, the window closes at 12:00


def test_best_insertion_finds_a_feasible_position_or_none():
    w = worker("a", shift_start=8 * H, shift_end=12 * H)
    booked = [
        job(1, near(1), windows=((8 * H, 9 * H),)),
        job(2, near(2), windows=((10 * H, 11 * H),)),
    ]
    p = problem([*booked, job(3, near(1.5)), job(4, near(1.5), service=3 * H)], [w])
    found = best_insertion(p, w, booked, p.jobs_by_id[3])
    assert found is not None and [s.job for s in found[1].stops] in (
        [1, 3, 2],
        [3, 1, 2],
        [1, 2, 3],
    )
    assert best_insertion(p, w, booked, p.jobs_by_id[4]) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(-15, 15),
            st.floats(-15, 15),
            st.integers(8, 16),
            st.integers(1, 4),
            st.sampled_from(["high", "medium", "low"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 3),
)
def test_any_plan_breaks_no_rule_and_accounts_for_every_job(rows, n_workers):
    jobs = [
        job(
            i,
            near(x, y),
            service=30 * 60,
            windows=((h * H, (h + span) * H),),
            priority=pr,
            skills={"ac": 1} if needs else {},
        )
        for i, (x, y, h, span, pr, needs) in enumerate(rows)
    ]
    workers = [worker(f"w{k}", skills={"ac": 1} if k % 2 else {}) for k in range(n_workers)]
    p = problem(jobs, workers)
    plan = solve(p, seconds=NO_CLOCK)
    assert plan_violations(p, plan.routes) == []
    served = {j for r in plan.routes for j in r.jobs}
    assert served | set(plan.unserved) == {j.id for j in jobs}
    assert not served & set(plan.unserved)


DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "vrptw" / "solomon"


def test_solomon_reader_and_double_precision_check():
    inst = solomon.read(DATA / "C101.txt")
    assert (inst.vehicles, inst.capacity, len(inst.customers)) == (25, 200, 100)
    assert inst.customers[0].number == 1 and inst.customers[0].ready == 912
    lone = [[c.number] for c in inst.customers]
    assert not solomon.feasible(inst, lone)  # 100 routes > 25 vehicles
    assert solomon.distance(inst, [[1]]) == pytest.approx(2 * (5**2 + 18**2) ** 0.5)


def test_solomon_instance_is_solved_feasibly_by_the_product_model():
    inst = solomon.read(DATA / "C101.txt")
    plan = solve(solomon.to_problem(inst), seconds=NO_CLOCK)
    routes = [[int(j) for j in r.jobs] for r in plan.routes]
    assert plan.feasible and solomon.feasible(inst, routes)
    assert solomon.distance(inst, routes) < 828.94 * 1.05


def test_euclidean_durations_round_up():
    dist, dur = EuclideanTravel(scale=10).matrices([Point(0, 0), Point(1, 1)])
    assert dist[0, 1] == 14 and dur[0, 1] == 15


def test_a_small_day_stops_when_it_cannot_improve_not_at_the_time_limit():
    jobs = [job(1, near(2)), job(2, near(-3, 1))]
    plan = solve(problem(jobs, [worker("a")]), seconds=NO_CLOCK, no_improvement=500)
    assert set(assigned(plan)) == {1, 2} and plan.feasible
    # Stopped by 500 iterations without a better plan: a few hundred more than it needed.
    assert 500 <= plan.iterations < 5_000


def test_the_iteration_limit_stops_the_search():
    jobs = [job(k, near(k % 7, k // 7)) for k in range(1, 15)]
    plan = solve(
        problem(jobs, [worker("a"), worker("b")]),
        seconds=NO_CLOCK,
        no_improvement=10**9,
        max_iterations=300,
    )
    assert plan.iterations == 300
