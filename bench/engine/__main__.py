"""``python -m bench.engine --cps 100 --seconds 60`` (``--quick`` for a few-second smoke run)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from bench.engine.run import BenchConfig, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    ap.add_argument("--cps", type=float, default=100.0, help="attempts per second to sustain")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured seconds (after warm-up)")
    ap.add_argument("--operators", type=int, default=None, help="nailed-up operators (default: enough)")
    ap.add_argument("--talk", type=float, default=22.0, help="median talk time, seconds")
    ap.add_argument("--quick", action="store_true", help="a few seconds at a low rate (CI smoke)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.quick:
        cfg = BenchConfig(cps=20, seconds=3, operators=args.operators or 80, talk_s=2.0, warmup_s=1.0)
    else:
        ops = args.operators or int(args.cps * (args.talk + 4) * 0.95) + 100
        cfg = BenchConfig(cps=args.cps, seconds=args.seconds, operators=ops, talk_s=args.talk)
    result = asyncio.run(run(cfg))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
