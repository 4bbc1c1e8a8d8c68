"""Run the simulated switch standalone: ``python -m fs_app.switchsim --port 8021``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from fs_app.switchsim.population import Population
from fs_app.switchsim.server import SHIPPED_CLIPS, SimSwitch, SwitchConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fs_app.switchsim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--password", default="ClueCon")
    parser.add_argument("--population", help="YAML or JSON file with Population fields")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--audio-dir", default=str(SHIPPED_CLIPS))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    population = Population.load(args.population) if args.population else Population()
    if args.seed is not None:
        import dataclasses

        population = dataclasses.replace(population, seed=args.seed)
    config = SwitchConfig(host=args.host, port=args.port, password=args.password,
                          population=population, audio_dir=args.audio_dir)

    async def run() -> None:
        async with SimSwitch(config):
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
