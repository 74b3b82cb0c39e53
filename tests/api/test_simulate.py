"""The traffic simulator's plan and guard rails (the e2e tests drive it against real processes)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from ml_api.housing import FEATURE_NAMES, NEIGHBOURHOOD_NAMES, OPTIONAL_FEATURES
from ml_api.injections import parse_injection
from ml_api.simulate import SimulationConfig, TrafficPlan, check_local_url
from tests.support.processes import ROOT


def plan_rows(injections: str = "", n: int = 400, seed: int = 3) -> list:
    config = SimulationConfig(
        count=n, seed=seed, injections=tuple(parse_injection(s) for s in injections.split() if s)
    )
    plan = TrafficPlan(config)
    return [plan.next_request(elapsed=10.0) for _ in range(n)]


def column(requests, name):
    return np.array([r.body[name] for r in requests], dtype=float)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:8000",
        "http://10.0.0.5:8000",
        "https://127.0.0.1:8000",
        "http://127.0.0.1.evil.example:80",
    ],
)
def test_refuses_targets_other_than_this_machine(url):
    with pytest.raises(ValueError, match="only targets"):
        check_local_url(url)


def test_the_command_line_refuses_a_remote_target_before_sending_anything():
    result = subprocess.run(
        [sys.executable, "-m", "ml_api.simulate", "--url", "http://example.com", "--count", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert result.returncode == 2
    assert "refusing to send traffic" in result.stderr


def test_the_simulator_must_be_bounded():
    with pytest.raises(ValueError, match="--duration and/or --count"):
        SimulationConfig()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("drift", "drift needs feature names"),
        ("drift:living_area", "unknown: living_area"),
        ("outage", "unknown injection 'outage'"),
        ("errors:2", "share of requests"),
        ("latency:30", "between 0 and 5 seconds"),
        ("errors@30-10", "END must be after START"),
    ],
)
def test_bad_injection_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_injection(spec)


def test_an_injection_window_is_start_inclusive_end_exclusive():
    injection = parse_injection("errors:0.5@10-20")

    assert [injection.active(t) for t in (9.9, 10, 19.9, 20)] == [False, True, True, False]
    assert injection.amount == 0.5


def test_drift_moves_only_the_chosen_feature():
    plain = plan_rows()
    drifted = plan_rows("drift:living_area_sqft")

    shift = stats.ks_2samp(column(plain, "living_area_sqft"), column(drifted, "living_area_sqft"))
    assert shift.pvalue < 1e-10
    assert np.mean(column(drifted, "living_area_sqft")) > np.mean(column(plain, "living_area_sqft"))
    # Same seed, drift applied after sampling: every other feature is identical, request by request.
    for name in FEATURE_NAMES:
        if name != "living_area_sqft":
            assert [r.body[name] for r in plain] == [r.body[name] for r in drifted], name


def test_ground_truth_follows_the_drifted_features():
    plain = plan_rows("", n=200)
    drifted = plan_rows("drift:living_area_sqft", n=200)
    prices = [r.true_value for r in plain if r.model == "house_price"]
    drifted_prices = [r.true_value for r in drifted if r.model == "house_price"]

    assert np.median(drifted_prices) > np.median(prices)


def test_unseen_category_missing_and_malformed_change_the_bodies():
    unseen = plan_rows("unseen_category", n=50)
    missing = plan_rows("missing", n=50)
    malformed = plan_rows("malformed", n=50)

    assert all(r.body["neighbourhood"] not in NEIGHBOURHOOD_NAMES for r in unseen)
    assert all(any(name not in r.body for name in OPTIONAL_FEATURES) for r in missing)
    assert all(set(r.body) >= {"bedrooms", "bathrooms"} for r in missing)  # required fields stay
    plain = plan_rows("", n=50)
    assert all(a.body != b.body for a, b in zip(malformed, plain))


def test_degraded_feedback_is_biased_against_the_truth():
    honest = plan_rows("", n=100)
    degraded = plan_rows("degraded", n=100)

    for a, b in zip(honest, degraded):
        if a.model == "house_price":
            assert b.true_value == pytest.approx(a.true_value * 1.35)
        else:
            assert b.true_value != a.true_value


def test_fault_injections_become_request_headers():
    requests = plan_rows("latency:0.3 errors:1", n=10)

    assert all(r.headers == {"x-fault-delay": "0.3", "x-fault-status": "503"} for r in requests)


def test_shares_apply_to_about_that_share_of_requests():
    requests = plan_rows("unseen_category:0.25", n=2_000)
    hits = sum(r.body["neighbourhood"] not in NEIGHBOURHOOD_NAMES for r in requests)

    assert stats.binomtest(hits, 2_000, 0.25).pvalue > 1e-4


def test_injections_given_on_command_count_from_when_they_arrive():
    from ml_api.simulate import Simulator

    simulator = Simulator(SimulationConfig(count=10), log=lambda line: None)
    simulator._started = __import__("time").monotonic() - 20  # the run has been going for 20 s

    assert simulator.command("errors:1@0-10").startswith("scheduled errors:1 from 20")
    plan = simulator._plan
    assert plan.next_request(elapsed=25).headers == {"x-fault-status": "503"}
    assert plan.next_request(elapsed=31).headers == {}
    simulator.command("latency:0.2")
    assert simulator.command("clear") == "all injections cleared"
    assert plan.next_request(elapsed=40).headers == {}
    with pytest.raises(ValueError, match="unknown injection"):
        simulator.command("meteor")
    simulator.command("stop")
    assert simulator.stop.is_set()


def test_commands_are_read_line_by_line_until_stop():
    import io

    from ml_api.simulate import Simulator

    lines: list[str] = []
    simulator = Simulator(SimulationConfig(count=10), log=lines.append)
    simulator.read_commands(io.StringIO("drift:bedrooms@0-5\n\nnot-a-thing\nstop\nerrors\n"))

    assert lines[0].startswith("simulate: scheduled drift:bedrooms")
    assert "cannot parse injection 'not-a-thing'" in lines[1]
    assert lines[2] == "simulate: stopping" and len(lines) == 3  # nothing read after stop
