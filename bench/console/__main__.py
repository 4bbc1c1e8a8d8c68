"""``python -m bench.console --operators 500 --campaigns 50`` (``--quick`` for a short smoke run)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from bench.console.run import BenchConfig, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    ap.add_argument("--operators", type=int, default=500)
    ap.add_argument("--campaigns", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    ap.add_argument("--rate", type=float, default=400.0, help="engine events per second")
    ap.add_argument("--quick", action="store_true", help="a few seconds with few operators (CI smoke)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.quick:
        cfg = BenchConfig(operators=20, campaigns=5, seconds=3.0, events_per_s=100.0, operator_clients=5)
    else:
        cfg = BenchConfig(operators=args.operators, campaigns=args.campaigns, seconds=args.seconds,
                          events_per_s=args.rate)
    json.dump(asyncio.run(run(cfg)), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
