"""Selector benchmark: ``python -m bench.selection --contacts 10000000`` prints JSON figures.

Builds, in a scratch database, a campaign over 3 lists with a DNC list (1M numbers by
default, half of them numbers in the lists), then measures: the p50/p95 time to select the
next 100 contacts, sustained contacts/s per campaign with 20 campaigns selecting at once,
results processed per second, and the EXPLAIN of the fresh-contact selection.

Rows are made with INSERT ... SELECT over generate_series, so 10M contacts load in minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from dialer.db import connect, create_pool
from dialer.dialing import campaigns, lifecycle, results, selector
from dialer.dialing.config_cache import ConfigCache
from dialer.dialing.engine_adapter import DbResultSink
from dialer.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)  # a Tuesday; 13:00 in Moscow
ZONES = "ARRAY['Europe/Moscow','Asia/Yekaterinburg','Asia/Novosibirsk','Europe/Kaliningrad']"
RESULT_CALLERS = 400  # calls finishing concurrently (a few hundred ports)
RULES = {"interval_seconds": 600,
         "working": [{"code": "busy", "attempts_previous": 3, "actions": [{"type": "finish"}]}]}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


async def _fill_list(conn: asyncpg.Connection, name: str, start: int, count: int) -> int:
    """``count`` contacts numbered from ``start``: phone +7900 followed by the 7-digit number."""
    list_id: int = await conn.fetchval("INSERT INTO contact_lists (name) VALUES ($1) RETURNING id", name)
    await conn.execute(
        "INSERT INTO contacts (id, list_id, attrs) SELECT g, $1, jsonb_build_object('phone', "
        "'+79' || lpad(g::text, 9, '0')) FROM generate_series($2::bigint, $3::bigint) g",
        list_id, start, start + count - 1,
    )
    await conn.execute(
        f"INSERT INTO contact_phones (contact_id, list_id, field, e164, tz) SELECT g, $1, 'phone', "
        f"'+79' || lpad(g::text, 9, '0'), ({ZONES})[1 + g % 4] FROM generate_series($2::bigint, $3::bigint) g",
        list_id, start, start + count - 1,
    )
    return list_id


async def build(conn: asyncpg.Connection, n: int, dnc_n: int, small: int) -> tuple[int, list[int]]:
    t0 = time.monotonic()
    # Scratch data: losing it in a crash costs a rebuild, so skip the per-commit fsync wait.
    await conn.execute("SET synchronous_commit = off")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    sid = await conn.fetchval(
        "INSERT INTO strategies (name, window_start, window_end, max_attempts, rules) "
        "VALUES ('bench', '08:00', '22:00', 5, $1) RETURNING id", RULES,
    )
    per = n // 3
    lists = [await _fill_list(conn, f"L{i}", 1 + i * per, per if i < 2 else n - 2 * per) for i in range(3)]
    _log(f"contacts loaded: {n} in {time.monotonic() - t0:.0f}s")
    dnc = await conn.fetchval("INSERT INTO dnc_lists (name) VALUES ('bench dnc') RETURNING id")
    # Half the DNC numbers are contacts (every other one from the start), half are not.
    await conn.execute(
        "INSERT INTO dnc_entries (dnc_list_id, kind, value) SELECT $1, 'phone', '+79' || lpad(CASE WHEN g % 2 = 0 "
        "THEN g ELSE 900000000 - g END::text, 9, '0') FROM generate_series(1, $2) g", dnc, dnc_n,
    )
    main = await campaigns.save(conn, {"name": "main", "strategy_id": sid, "lists": lists, "list_order": "ordered",
                                       "dnc_lists": [dnc]})
    await lifecycle.change_state(conn, main, "start")
    _log(f"main campaign populated in {time.monotonic() - t0:.0f}s")
    others = []
    for i in range(20):
        lid = await _fill_list(conn, f"S{i}", n + 1 + i * small, small)
        cid = await campaigns.save(conn, {"name": f"c{i}", "strategy_id": sid, "lists": [lid], "dnc_lists": [dnc]})
        await lifecycle.change_state(conn, cid, "start")
        others.append(cid)
    # VACUUM sets the visibility map, so a later reset's VACUUM skips the untouched pages.
    await conn.execute("VACUUM (ANALYZE)")
    _log(f"built in {time.monotonic() - t0:.0f}s")
    return main, others


async def reset(conn: asyncpg.Connection) -> tuple[int, list[int]]:
    """A reused build back to its just-built state: every dial state new, no leases, no results.

    One sequential pass over campaign_contacts (tens of seconds at 10M) instead of a rebuild.
    """
    t0 = time.monotonic()
    main = await conn.fetchval("SELECT id FROM campaigns WHERE name = 'main'")
    others = [r[0] for r in await conn.fetch("SELECT id FROM campaigns WHERE name ~ '^c[0-9]+$' ORDER BY id")]
    await conn.execute("UPDATE campaigns SET state = 'running', state_reason = ''")
    await conn.execute(
        "UPDATE campaign_contacts SET state = 'new', leased_from = NULL, lease_id = NULL, lease_until = NULL, "
        "lease_owner = NULL, attempts = 0, attempts_on_number = 0, chain_step = 0, next_attempt_at = '-infinity', "
        "last_code = NULL, last_attempt_at = NULL, finish_reason = '' "
        "WHERE state <> 'new' AND finish_reason <> 'no phone' OR lease_id IS NOT NULL"
    )
    await conn.execute("TRUNCATE dial_results, outbox")
    await conn.execute("VACUUM (ANALYZE) campaign_contacts")
    _log(f"reused build reset in {time.monotonic() - t0:.0f}s")
    return main, others


async def measure(pool: asyncpg.Pool, main: int, others: list[int], rounds: int, seconds: float) -> dict[str, Any]:
    times = []
    cache = ConfigCache()  # one per process, as DbContactSource keeps
    leased: list[tuple[int, selector.Target]] = []
    async with pool.acquire() as conn:
        for _ in range(rounds):
            t = time.perf_counter()
            got = await selector.select(conn, main, 100, NOW, "bench", cache=cache)
            times.append((time.perf_counter() - t) * 1000)
            leased += [(main, x) for x in got]
    q = statistics.quantiles(times, n=20)

    counts = dict.fromkeys(others, 0)

    async def loop(cid: int) -> None:
        end = time.monotonic() + seconds
        async with pool.acquire() as c:
            while time.monotonic() < end:
                got = await selector.select(c, cid, 100, NOW, f"w{cid}", cache=cache)
                counts[cid] += len(got)
                leased.extend((cid, x) for x in got)
                if not got:
                    break

    t0 = time.monotonic()
    await asyncio.gather(*(loop(c) for c in others))
    elapsed = time.monotonic() - t0
    per_campaign = statistics.mean(counts.values()) / elapsed

    # Results the way the engine hands them over: one record_result per finished call, many
    # calls finishing at once; the sink batches them into shared transactions.
    todo = leased[:20_000]
    sink = DbResultSink(pool)
    t0 = time.monotonic()

    async def caller(k: int) -> None:
        for cid, x in todo[k::RESULT_CALLERS]:
            await sink.record(results.Result(cid, x.contact_id, x.lease_id, "busy", phone=x.e164), NOW)

    await asyncio.gather(*(caller(k) for k in range(RESULT_CALLERS)))
    results_per_s = len(todo) / (time.monotonic() - t0)

    async with pool.acquire() as conn:
        plan = await selector.load_plan(conn, main, NOW)
        assert plan is not None
        sql = selector._CONTACTS_SQL.format(
            dnc=selector._DNC, dnc_join=selector._DNC_JOIN, state="new", due="", lease=selector._LEASE,
            order="cc.list_pos, cc.contact_id",
        )
        tr = conn.transaction()
        await tr.start()
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, main, NOW, 100, plan.open_zones,
                                plan.dnc_lists, 5, 300, "explain", plan.client_field)
        await tr.rollback()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(q[18], 2),
        "contacts_per_s": round(per_campaign, 1),
        "results_per_s": round(results_per_s, 1),
        "explain": "\n".join(r[0] for r in rows),
    }


async def _prepare(args: argparse.Namespace, dsn: str) -> bool:
    """Create the scratch database unless --reuse finds a finished build; True: build it."""
    admin = await asyncpg.connect(args.admin_dsn)
    try:
        if args.reuse and await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", args.db):
            conn = await asyncpg.connect(dsn)
            try:
                size = await conn.fetchval(
                    "SELECT contacts FROM bench_build WHERE contacts = $1 AND dnc = $2 AND small = $3",
                    args.contacts, args.dnc_n, args.small,
                ) if await conn.fetchval("SELECT to_regclass('bench_build') IS NOT NULL") else None
            finally:
                await conn.close()
            if size is not None:
                return False
            _log("--reuse: no finished build of this size; building")
        await admin.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {args.db}")
    finally:
        await admin.close()
    return True


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    dsn = args.admin_dsn.rsplit("/", 1)[0] + "/" + args.db
    fresh = await _prepare(args, dsn)
    # A reused database gets the migrations written since it was built (e.g. a new index).
    await migrate(dsn, ROOT / "sql")
    # The build and the reset run statements of many minutes: a connection without the pool's
    # command timeout.
    conn = await connect(dsn)
    try:
        if fresh:
            main, others = await build(conn, args.contacts, args.dnc_n, args.small)
            await conn.execute("CREATE TABLE bench_build (contacts bigint, dnc bigint, small int)")
            await conn.execute("INSERT INTO bench_build VALUES ($1, $2, $3)", args.contacts, args.dnc_n, args.small)
        else:
            main, others = await reset(conn)
    finally:
        await conn.close()
    pool = await create_pool(dsn, 2, 24)
    try:
        if args.build_only:
            return {"built": args.contacts, "db": args.db}
        out = await measure(pool, main, others, args.rounds, args.seconds)
    finally:
        await pool.close()
    out |= {"contacts": args.contacts, "dnc": args.dnc_n, "campaigns": 20, "reused_build": not fresh,
            "window": "08:00-22:00 customer zones", "now": NOW.isoformat()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.selection")
    p.add_argument("--contacts", type=int, default=10_000_000)
    p.add_argument("--dnc", type=int, default=1_000_000)
    p.add_argument("--small", type=int, default=20_000, help="contacts of each of the 20 sustained campaigns")
    p.add_argument("--rounds", type=int, default=200, help="selections of 100 timed on the main campaign")
    p.add_argument("--seconds", type=float, default=10.0, help="duration of the 20-campaign run")
    p.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--db", default="dialer_bench_selection")
    p.add_argument("--reuse", action="store_true",
                   help="measure again on the database a previous run of the same size built (reset first)")
    p.add_argument("--build-only", action="store_true", help="build the database and stop (use --reuse later)")
    args = p.parse_args()
    args.dnc_n = min(args.dnc, 2 * args.contacts)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(asyncio.run(main_async(args)), indent=1))


if __name__ == "__main__":
    main()
