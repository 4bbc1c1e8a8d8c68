"""Console latency under load: engine events published as the engine does, timed to the browser.

500 operators change state and 50 campaigns' calls start and end; every event carries the
engine's ``at`` time, and a supervisor WebSocket client (plus a few operator clients) records
when each one arrives. The web server runs in its own process; its CPU is read from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.import_contacts.scratch import scratch_db
from dialer.access.roles import sync_presets
from dialer.kv import connect_live_store
from dialer.users import create_user
from fs_app.engine.live import EVENTS_CHANNEL

STATES = ("ready", "talking", "wrap_up", "ready", "not_ready")
_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass(frozen=True)
class BenchConfig:
    operators: int = 500
    campaigns: int = 50
    seconds: float = 20.0
    events_per_s: float = 400.0
    operator_clients: int = 20


async def _seed(pool: asyncpg.Pool, cfg: BenchConfig) -> list[int]:
    async with pool.acquire() as conn:
        await sync_presets(conn)
        role = await conn.fetchval("SELECT id FROM roles WHERE preset = 'supervisor'")
        op_role = await conn.fetchval("SELECT id FROM roles WHERE preset = 'specialist'")
        await create_user(conn, {"login": "bench-sup", "password": "bench-pass-1", "role_id": role})
        op_ids = []
        for i in range(cfg.operators):
            uid = await create_user(conn, {"login": f"bench-op{i}", "password": "bench-pass-1", "role_id": op_role})
            op_ids.append(await conn.fetchval("INSERT INTO operators (name, user_id) VALUES ($1, $2) RETURNING id",
                                              f"Operator {i}", uid))
        for c in range(cfg.campaigns):
            await conn.execute("INSERT INTO campaigns (name, state, started_at) VALUES ($1, 'running', now())",
                               f"Campaign {c}")
    return op_ids


async def _client(url: str, login: str, topics: list[str], arrivals: list[float], stop: asyncio.Event,
                  subscribed: list[str]) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        page = await (await http.get(url + "/login")).text()
        csrf = _META.search(page)
        assert csrf, "no CSRF token on /login"
        resp = await http.post(url + "/login", data={"login": login, "password": "bench-pass-1",
                                                     "_csrf": csrf.group(1)}, allow_redirects=False)
        assert resp.status == 302, await resp.text()
        async with http.ws_connect(url + "/ws") as ws:
            await ws.send_json({"subscribe": topics})
            reply = await ws.receive_json(timeout=10)
            assert reply["subscribed"], reply
            subscribed.append(login)
            # No receive timeout: cancelling a pending receive can drop the frame arriving then.
            closer = asyncio.create_task(_close_on(stop, ws))
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                now = time.time()
                data = json.loads(msg.data).get("data")
                for ev in data if isinstance(data, list) else [data]:
                    if isinstance(ev, dict) and "at" in ev and ev.get("bench"):
                        arrivals.append(now - float(ev["at"]))
            await closer


async def _close_on(stop: asyncio.Event, ws: aiohttp.ClientWebSocketResponse) -> None:
    await stop.wait()
    await ws.close()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(redis_url: str, prefix: str, cfg: BenchConfig, op_ids: list[int], stop: asyncio.Event) -> int:
    """Publish events the way fs_app.engine.live.LiveWriter does (pipelined, one JSON per event)."""
    live = connect_live_store(redis_url, prefix)
    channel = live.key("ch", EVENTS_CHANNEL)
    rng = random.Random(7)
    sent, tick = 0, 0.05
    per_tick = max(1, round(cfg.events_per_s * tick))
    try:
        while not stop.is_set():
            pipe = live.client.pipeline(transaction=False)
            for _ in range(per_tick):
                op = rng.choice(op_ids)
                if rng.random() < 0.5:
                    ev: dict[str, Any] = {"kind": "operator", "operator_id": str(op), "state": rng.choice(STATES),
                                          "since": time.time(), "mode": "nailed", "call_id": None, "pending": None}
                else:
                    ev = {"kind": rng.choice(("call", "call_ended")), "call_id": secrets.token_hex(8),
                          "campaign_id": rng.randint(1, cfg.campaigns), "state": "answered",
                          "operator_id": str(op), "phone": "+79990000000", "since": time.time()}
                ev.update(at=time.time(), bench=True)
                pipe.publish(channel, json.dumps(ev))
            await pipe.execute()
            sent += per_tick
            await asyncio.sleep(tick)
    finally:
        await live.close()
    return sent


async def run(cfg: BenchConfig) -> dict[str, Any]:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"bench:{secrets.token_hex(4)}:"
    async with scratch_db("console") as (dsn, pool):
        op_ids = await _seed(pool, cfg)
        with tempfile.TemporaryDirectory() as tmp:
            port_file = Path(tmp) / "port"
            server = await asyncio.to_thread(
                subprocess.Popen,
                [sys.executable, "-m", "bench.console.server", dsn, redis_url, prefix, str(port_file)])
            try:
                for _ in range(300):
                    if port_file.exists() and port_file.read_text():
                        break
                    await asyncio.sleep(0.1)
                url = f"http://127.0.0.1:{port_file.read_text()}"
                stop, stop_load = asyncio.Event(), asyncio.Event()
                arrivals: list[float] = []
                op_arrivals: list[float] = []
                async with pool.acquire() as conn:
                    users = await conn.fetch("SELECT id, user_id FROM operators ORDER BY id LIMIT $1",
                                             cfg.operator_clients)
                subscribed: list[str] = []
                clients = [asyncio.create_task(_client(url, "bench-sup", ["supervisor.events", "supervisor.campaigns"],
                                                       arrivals, stop, subscribed))]
                for i, u in enumerate(users):
                    clients.append(asyncio.create_task(_client(url, f"bench-op{i}", [f"operator.{u['user_id']}"],
                                                               op_arrivals, stop, subscribed)))
                # Sign-ins hash passwords on the server: load starts only once every socket listens.
                for _ in range(600):
                    if len(subscribed) == len(clients):
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)
                cpu0, t0, me0 = _cpu_s(server.pid), time.monotonic(), _cpu_s(os.getpid())
                loader = asyncio.create_task(_load(redis_url, prefix, cfg, op_ids, stop_load))
                await asyncio.sleep(cfg.seconds)
                cpu1, t1, me1 = _cpu_s(server.pid), time.monotonic(), _cpu_s(os.getpid())
                stop_load.set()
                sent = await loader
                await asyncio.sleep(2.0)  # what is still on its way is counted, late or not
                stop.set()
                failures = [r for r in await asyncio.gather(*clients, return_exceptions=True) if r is not None]
                if failures:
                    raise RuntimeError(f"a WebSocket client failed: {failures[0]!r}")
            finally:
                server.terminate()
                server.wait(10)
    lat = sorted(a * 1000 for a in arrivals)
    if not lat:
        raise RuntimeError("no events reached the supervisor client")
    return {
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(lat[int(len(lat) * 0.95) - 1], 1),
        "cpu_percent": round(100.0 * (cpu1 - cpu0) / (t1 - t0), 1),
        "bench_client_cpu_percent": round(100.0 * (me1 - me0) / (t1 - t0), 1),
        "events_sent": sent, "events_received_supervisor": len(lat),
        "operator_p95_ms": round(sorted(op_arrivals)[int(len(op_arrivals) * 0.95) - 1] * 1000, 1)
        if op_arrivals else None,
        "operators": cfg.operators, "campaigns": cfg.campaigns, "seconds": cfg.seconds,
        "events_per_s": cfg.events_per_s,
    }
