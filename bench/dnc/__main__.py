"""``python -m bench.dnc --numbers 10000000``: batched DNC lookups against a big list.

Loads ``--numbers`` E.164 phones into one DNC list with COPY, then checks batches of
``--batch`` numbers (half of them listed) with :func:`dialer.contacts.dnc.lookup`, the
function campaigns call at dial time. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time

from bench.import_contacts.scratch import peak_rss_mb, scratch_db
from dialer.contacts import dnc

CHUNK = 500_000


async def run(numbers: int, batch: int, batches: int) -> dict[str, float | int]:
    async with scratch_db("dnc") as (_dsn, pool):
        async with pool.acquire() as conn:
            did = await dnc.save_dnc_list(conn, {"name": "bench"})
            t0 = time.perf_counter()
            # Every even number from +79000000000 on is listed; odd ones are not.
            for start in range(0, numbers, CHUNK):
                stop = min(numbers, start + CHUNK)
                await conn.copy_records_to_table(
                    "dnc_entries",
                    columns=["dnc_list_id", "kind", "value"],
                    records=((did, "phone", f"+7900{2 * i:07d}") for i in range(start, stop)),
                )
            load_seconds = time.perf_counter() - t0
            await conn.execute("ANALYZE dnc_entries")
            rng = random.Random(5)
            checks = [
                [f"+7900{2 * rng.randrange(numbers) + (j % 2):07d}" for j in range(batch)]
                for _ in range(batches)
            ]
            hits = 0
            t0 = time.perf_counter()
            for values in checks:
                hits += len(await dnc.lookup(conn, values))
            seconds = time.perf_counter() - t0
    looked = batch * batches
    return {
        "numbers": numbers,
        "load_seconds": round(load_seconds, 1),
        "batch": batch,
        "lookups": looked,
        "hits": hits,
        "seconds": round(seconds, 2),
        "lookups_per_s": round(looked / seconds),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--numbers", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.numbers, args.batch, args.batches))))


if __name__ == "__main__":
    main()
