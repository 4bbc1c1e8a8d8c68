"""CI-speed checks of the pacing benchmark (a few seconds): it runs, emits every key, figures are sane."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.pacing.__main__ import main
from bench.pacing.metrics import figures
from bench.pacing.policies import Progressive
from bench.pacing.scenario import Scenario, load_scenarios
from bench.pacing.sim import Draws, Sim

SCENARIOS = Path(__file__).resolve().parents[2] / "bench" / "pacing" / "scenarios"
KEYS = {"scenario", "policy", "operators", "live_rate", "occupancy", "occupancy_with_wrap", "wait_mean_s",
        "wait_p95_s", "abandon_rate", "abandon_30d_max", "share_24h_over_cap", "hold_p95_s", "dials_per_live",
        "gain_over_progressive", "gap_closed"}
POLICIES = {"progressive", "fixed_ratio", "vicidial_adapt_hard_limit", "vicidial_adapt_average",
            "vicidial_adapt_tapered", "issabel", "pi_abandon", "predictive", "reference"}


def test_example_scenarios_load() -> None:
    files = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("*.json"))
    assert files
    for path in files:
        for s in load_scenarios(path):
            assert s.operators > 0 and 0 < s.live_rate < 1


def test_quick_run_emits_all_keys_and_sane_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    assert main(["--scenario", str(SCENARIOS / "ci_tiny.json"), "--json", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "goals" in printed and "predictive" in printed
    rows = json.loads(out.read_text())["rows"]
    assert {r["policy"] for r in rows} == POLICIES
    for r in rows:
        assert KEYS <= r.keys()
        assert 0.0 <= r["occupancy"] <= r["occupancy_with_wrap"] <= 1.0
        assert 0.0 <= r["abandon_rate"] <= 1.0 and 0.0 <= r["share_24h_over_cap"] <= 1.0
        assert r["dials_per_live"] >= 1.0
        assert r["wait_p95_s"] >= 0.0 and r["hold_p95_s"] >= 0.0
    by = {r["policy"]: r for r in rows}
    assert by["progressive"]["gain_over_progressive"] == 0.0
    assert by["reference"]["gap_closed"] in (None, pytest.approx(1.0))
    # Predictive must actually beat one call per free operator on a 10-operator team.
    assert by["predictive"]["occupancy_with_wrap"] > by["progressive"]["occupancy_with_wrap"]


def test_common_random_numbers_make_runs_repeatable() -> None:
    s = Scenario(name="crn", operators=5, live_rate=0.35, handle_s=60.0, days=1, day_s=900.0, seed=5)
    a = figures(s, Sim(s, Progressive(), Draws(s)).run())
    b = figures(s, Sim(s, Progressive(), Draws(s)).run())
    assert a == b
    c = figures(replace(s, seed=6), Sim(replace(s, seed=6), Progressive()).run())
    assert c != a


def test_one_to_one_never_abandons_with_stable_staff_and_no_amd() -> None:
    s = Scenario(name="pr", operators=8, live_rate=0.3, handle_s=90.0, days=1, day_s=1800.0, seed=2)
    f = figures(s, Sim(s, Progressive()).run())
    assert f.live > 50
    assert f.abandon_rate == 0.0
