"""The engine benchmark: the simulated switch in its own process, the engine in this one.

The engine's CPU is this process's CPU time (the switch's is not counted); latency is from an
event's arrival in the client's reader to the write of the command it caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fs_app.engine.core import EngineCore
from fs_app.engine.driver import Driver
from fs_app.engine.memory import MemoryContacts, MemoryResults
from fs_app.engine.ports import CampaignConfig, Connector
from fs_app.engine.store import MemoryAttemptStore
from fs_app.esl import EslClient
from fs_app.esl import parser as esl_parser
from fs_app.esl.events import decode_event, is_event_frame
from fs_app.pacing import DialMode

SAMPLE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class BenchConfig:
    cps: float = 100.0
    seconds: float = 60.0
    operators: int = 2200
    talk_s: float = 22.0
    warmup_s: float = 5.0


class Tap:
    """Counts the bytes the engine's parser reads and keeps a sample to re-parse alone later."""

    def __init__(self) -> None:
        self.bytes = 0
        self.sample: list[bytes] = []
        self.sample_bytes = 0
        self._orig = esl_parser.FrameParser.feed

    def install(self) -> None:
        tap, orig = self, self._orig

        def feed(parser: esl_parser.FrameParser, data: bytes) -> list[esl_parser.Frame]:
            tap.bytes += len(data)
            if tap.sample_bytes < SAMPLE_LIMIT:
                tap.sample.append(bytes(data))
                tap.sample_bytes += len(data)
            return orig(parser, data)

        esl_parser.FrameParser.feed = feed  # type: ignore[method-assign]

    def uninstall(self) -> None:
        esl_parser.FrameParser.feed = self._orig  # type: ignore[method-assign]

    def parse_cpu_s(self) -> float:
        """CPU seconds to parse and decode the whole volume alone (the sample, scaled)."""
        if not self.sample_bytes:
            return 0.0
        # The first chunks are the handshake: parse from a fresh parser in order, as the client did.
        t0 = time.process_time()
        p = esl_parser.FrameParser()
        for chunk in self.sample:
            for frame in self._orig(p, chunk):
                if is_event_frame(frame):
                    decode_event(frame)
        spent = time.process_time() - t0
        return spent * self.bytes / self.sample_bytes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def population(cfg: BenchConfig) -> dict[str, Any]:
    return {
        "shares": {"human": 0.72, "voicemail": 0.04, "no_answer": 0.1, "busy": 0.08, "unallocated": 0.04,
                   "rejected": 0.02},
        "answer_by_hour": [1.0] * 24,
        "ring": {"median_s": 3.0, "spread": 0.4, "low_s": 0.5, "high_s": 14.0},
        "talk": {"median_s": cfg.talk_s, "spread": 0.2, "low_s": 5.0, "high_s": 120.0},
        "patience": {"median_s": 30.0, "spread": 0.2, "low_s": 10.0, "high_s": 60.0},
        "machine_length": {"median_s": 15.0, "spread": 0.2, "low_s": 5.0, "high_s": 60.0},
        "gateways": {"carrier": 10000}, "sps": 100000, "seed": 7,
    }


async def run(cfg: BenchConfig) -> dict[str, Any]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        pop_file = Path(tmp) / "pop.json"
        pop_file.write_text(json.dumps(population(cfg)))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fs_app.switchsim", "--port", str(port), "--population", str(pop_file),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            return await _measure(cfg, port)
        finally:
            proc.terminate()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.wait_for(proc.wait(), 10)


async def _wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise RuntimeError("the simulated switch did not start")


async def _measure(cfg: BenchConfig, port: int) -> dict[str, Any]:
    tap = Tap()
    tap.install()
    await _wait_listening(port)
    client = EslClient("127.0.0.1", port, queue_events=False, command_timeout=30)
    core = EngineCore(seed=1)
    total = int(cfg.cps * (cfg.seconds + cfg.warmup_s) * 1.3) + 100
    contacts = MemoryContacts(MemoryContacts.generate(total, seed=3))
    driver = Driver(core, client, MemoryAttemptStore(), contacts, MemoryResults(), tick_s=0.05)
    await driver.start()
    now = time.time()
    for i in range(cfg.operators):
        driver.run(core.login(str(i), now, endpoint=f"user/{1000 + i}", ready=True))
    await asyncio.sleep(1.0)
    campaign = CampaignConfig(
        campaign_id=1, dial_mode=DialMode.PROGRESSIVE, ring_timeout_s=15, wrap_up_s=1.0, wait_sound="",
        connectors=(Connector("carrier", "carrier", capacity=10000, cps=cfg.cps),),
    )
    driver.run(core.start_campaign(campaign, time.time()))
    await asyncio.sleep(cfg.warmup_s)
    driver.latencies_ms.clear()
    tap.bytes = 0
    dials0, cpu0, t0 = core.st.dials, time.process_time(), time.perf_counter()
    concurrent_max = 0
    while time.perf_counter() - t0 < cfg.seconds:
        await asyncio.sleep(0.25)
        concurrent_max = max(concurrent_max, len(core.st.calls))
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - t0
    attempts = core.st.dials - dials0
    lat = sorted(driver.latencies_ms)
    tap.uninstall()
    parse_cpu = tap.parse_cpu_s()
    await driver.stop()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else 0.0

    return {
        "attempts_per_s": round(attempts / wall, 2),
        "concurrent_max": concurrent_max,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "cpu_ms_per_attempt": round(cpu * 1000 / max(attempts, 1), 3),
        "parse_only_ratio": round(parse_cpu / cpu, 3) if cpu else 0.0,
        "seconds": round(wall, 1),
        "target_cps": cfg.cps,
        "operators": cfg.operators,
        "events": driver.events_seen,
        "reconnects": client.reconnects,
        "commands_timed": len(lat),
        "engine_cpu_s": round(cpu, 2),
        "parse_only_cpu_s": round(parse_cpu, 3),
    }
