"""The rush bench's open loop (`--arrivals`): what an operator reads off it to size an
opening must come from the arrivals he asked for, and its verdict must name the last rate
that every step up to it held."""

import argparse
import itertools

import pytest

from bench.rush import Recorder, arrival_plan, by_step, rate_list


def test_arrivals_follow_each_steps_rate_at_random_and_stay_in_their_step():
    plan = arrival_plan([20, 100], step_seconds=15, parents=100_000, seed=7)
    first = [at for at, step in plan if step == 0]
    second = [at for at, step in plan if step == 1]
    # A Poisson count of mean 300 and 1,500: four standard deviations either way.
    assert 300 - 4 * 300 ** 0.5 < len(first) < 300 + 4 * 300 ** 0.5
    assert 1500 - 4 * 1500 ** 0.5 < len(second) < 1500 + 4 * 1500 ** 0.5
    assert all(0 <= at < 15 for at in first) and all(15 <= at < 30 for at in second)
    assert [at for at, _ in plan] == sorted(at for at, _ in plan)
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(second)}
    assert len(gaps) > len(second) / 2  # not evenly spaced
    assert plan == arrival_plan([20, 100], 15, 100_000, seed=7)  # the seed replays it
    assert plan != arrival_plan([20, 100], 15, 100_000, seed=8)


def test_arrivals_stop_when_the_parents_run_out():
    assert len(arrival_plan([100], step_seconds=60, parents=250, seed=1)) == 250


def _recorded(steps: list[list[float]]) -> Recorder:
    rec = Recorder()
    for step, times in enumerate(steps):
        rec.visits.extend((step, 0.0, [t]) for t in times)
    return rec


def test_the_capacity_is_the_last_rate_every_step_up_to_it_held():
    quick, slow = [0.1] * 100, [3.0] * 100
    args = argparse.Namespace(arrivals=[40, 60, 80])
    # A step over 2 s at p95 ends it, even if a later step happened to recover.
    lines, kept = by_step(args, _recorded([quick, slow, quick]))
    assert kept == 40
    assert len(lines) == 2 + 3  # a blank line, the header, one row per step
    _lines, kept = by_step(args, _recorded([quick, quick, quick]))
    assert kept == 80
    _lines, kept = by_step(args, _recorded([slow, quick, quick]))
    assert kept == 0


def test_rates_are_checked_with_a_clear_message():
    assert rate_list("30,45.5,60") == [30, 45.5, 60]
    for wrong, message in (("30,x", "separated by commas"), ("30,0", "above 0")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            rate_list(wrong)
