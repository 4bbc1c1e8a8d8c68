"""``python -m bench.pacing``: the pacing benchmark (default grid, ``--scenario FILE``, ``--quick``)."""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
import time

# Each worker runs its own scenario; BLAS threads inside them only fight over the same cores (the model's
# matrices are tiny). Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.pacing.report import print_goals, print_table
from bench.pacing.runner import evaluate
from bench.pacing.scenario import QUICK_NAMES, Scenario, default_grid, fit_horizon, load_scenarios


def _evaluate(s: Scenario) -> tuple[list[dict[str, Any]], float]:
    t0 = time.perf_counter()
    rows = evaluate(s)
    return rows, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pacing", description=__doc__)
    ap.add_argument("--scenario", action="append", type=Path, default=[],
                    help="scenario file (YAML/JSON); repeatable; replaces the default grid")
    ap.add_argument("--json", type=Path, help="write the result rows here")
    ap.add_argument("--quick", action="store_true", help="four grid scenarios, short horizon (CI)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=None, help="simulated days per scenario (default 2)")
    ap.add_argument("--dials-per-day", type=float, default=None,
                    help="cap on expected dials in one simulated day (default 4000); shortens days of big "
                         "fast teams")
    ap.add_argument("--max-day-h", type=float, default=None, help="longest dialing day in hours (default 2)")
    ap.add_argument("--min-day-h", type=float, default=None, help="shortest dialing day in hours (default 1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--filter", default="", help="only grid scenarios whose name contains this")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    # Default horizon: two simulated days, each at most 2 h of dialing and about 4000 dials, never under
    # 1 h (big fast teams dial more in their hour); longer runs: --days 3 --max-day-h 8 --dials-per-day 15000.
    # Days are not neutral: in a short day the warm-up is a bigger share, a 24-h window holds fewer (noisier)
    # answers and the drifting answer rate turns faster. At seed 1, with 15-min days for big fast teams,
    # 512/540 scenarios met the abandon goal and 82 (scenario, baseline) pairs fell short; with 30 min
    # 518 and 73; with 1 h 529 and 64, for 15 % more wall time (374 -> 428 s). 1.25 h / 2500 dials made
    # it harder (487/540).
    days = args.days or 2
    max_day = (args.max_day_h or (1.0 if args.quick else 2.0)) * 3600
    min_day = (args.min_day_h or (0.5 if args.quick else 1.0)) * 3600
    per_day = args.dials_per_day or 4000.0
    if args.scenario:
        scenarios = [s for path in args.scenario for s in load_scenarios(path)]
    else:
        scenarios = default_grid(seed=args.seed, days=days, max_day_s=max_day, max_dials_per_day=per_day,
                                 min_day_s=min_day)
        if args.quick:
            scenarios = [s for s in scenarios if s.name in QUICK_NAMES]
        if args.filter:
            scenarios = [s for s in scenarios if args.filter in s.name]
    if args.quick and args.scenario:
        scenarios = [fit_horizon(replace(s), days=days, max_day_s=max_day, max_dials_per_day=per_day,
                                 min_day_s=min_day) for s in scenarios]
    print(f"pacing benchmark: {len(scenarios)} scenarios, seeds {sorted({s.seed for s in scenarios})}, "
          f"{args.workers} workers", flush=True)
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    timings: list[tuple[str, float]] = []
    # Longest first so the pool does not end on a straggler.
    order = sorted(scenarios, key=lambda s: -s.operators * s.days * s.day_s / (s.handle_s * s.live_rate))
    if args.workers > 1 and len(order) > 1:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            for out, dt in pool.imap_unordered(_evaluate, order):
                rows.extend(out)
                timings.append((out[0]["scenario"], dt))
    else:
        for s in order:
            out, dt = _evaluate(s)
            rows.extend(out)
            timings.append((s.name, dt))
    elapsed = time.perf_counter() - t0
    names = [s.name for s in scenarios]
    rows.sort(key=lambda r: (names.index(r["scenario"]), r["policy"]))
    print_table(rows)
    print_goals(rows)
    slowest = max(timings, key=lambda x: x[1])
    print(f"\nwall time {elapsed:.1f} s for {len(scenarios)} scenarios "
          f"(slowest {slowest[0]} {slowest[1]:.1f} s); horizons: days x day length per scenario are in the "
          f"JSON (days, day_s)")
    payload = {"elapsed_s": elapsed, "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    if len(rows) <= 200:
        print(json.dumps(rows, indent=None))
    else:
        print("(rows JSON omitted on stdout for the full grid; use --json OUT)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
