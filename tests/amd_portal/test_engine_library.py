"""The engine process's sample library: read from the portal's table, reloaded on `amd.reload`
without a restart, and every match counted in the table (issue #8)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path

import asyncpg
import numpy as np

from amd.audio import read_audio
from amd.detector import Detector
from amd.library import SampleLibrary
from amd.verdict import Verdict, VerdictKind
from dialer import amd_store
from dialer.engine_wiring import engine_library, wire_engine
from dialer.kv import LiveStore
from dialer.runtime import Stores
from dialer.settings import Settings
from fs_app.engine.service import WIRING, Wiring

SIM_LIBRARY = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim" / "library"


async def _until(pred: Callable[[], Awaitable[bool]], within_s: float = 5.0) -> None:
    async with asyncio.timeout(within_s):
        while not await pred():  # noqa: ASYNC110 (rows and library reloads have no event to await)
            await asyncio.sleep(0.02)


def _play(library: SampleLibrary, sample: np.ndarray) -> Verdict | None:
    call = np.concatenate([np.zeros(2400, dtype=np.int16), sample, np.zeros(8000, dtype=np.int16)])
    det = Detector(library, answered_at_s=0.0)
    for i in range(0, len(call) - 159, 160):
        if (verdict := det.feed(call[i:i + 160])) is not None:
            return verdict
    return det.finish()


async def test_the_engine_library_follows_the_table_and_counts_matches(
    settings: Settings, pool: asyncpg.Pool, live: LiveStore, db_dsn: str
) -> None:
    wav = (SIM_LIBRARY / "robot01.wav").read_bytes()
    async with pool.acquire() as conn:
        added = await amd_store.add_sample(conn, SampleLibrary(), "robot01.wav", wav)
    assert added.ok and added.sample_id is not None
    sid = str(added.sample_id)
    stores = Stores(settings, db_dsn, pool, live)

    library, recorder = await engine_library(stores)
    assert library.get(sid) is not None and len(library.index) == 0  # a candidate hangs up nobody
    sample = read_audio(SIM_LIBRARY / "robot01.wav")
    first = _play(library, sample)
    assert first is not None and first.kind is not VerdictKind.ROBOT

    follow = asyncio.create_task(amd_store.follow_reloads(pool, live, library))
    try:
        async with pool.acquire() as conn:
            await amd_store.set_status(conn, int(sid), "verified")

        async def verified() -> bool:
            # The portal announces its change; resent until the subscription is up.
            await live.publish(amd_store.RELOAD_CHANNEL, "portal")
            await asyncio.sleep(0.05)
            return len(library.index) == 1

        await _until(verified)
        verdict = _play(library, sample)
        assert verdict is not None and verdict.kind is VerdictKind.ROBOT and verdict.sample_id == sid

        async def counted() -> bool:
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT matches FROM amd_samples WHERE id=$1", int(sid)) == 1)

        await _until(counted)
    finally:
        follow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follow
        await recorder.drain()


async def test_wire_engine_gives_an_amd_engine_the_stored_library(
    settings: Settings, pool: asyncpg.Pool, live: LiveStore, db_dsn: str
) -> None:
    wav = (SIM_LIBRARY / "robot02.wav").read_bytes()
    async with pool.acquire() as conn:
        added = await amd_store.add_sample(conn, SampleLibrary(), "robot02.wav", wav, status="verified")
    saved = {f.name: getattr(WIRING, f.name) for f in fields(Wiring)}
    try:
        WIRING.amd = True  # as when a running campaign uses AMD
        await wire_engine(Stores(settings, db_dsn, pool, live))
        assert WIRING.amd_library is not None and WIRING.amd_library.index.sample_ids == (str(added.sample_id),)
    finally:
        for name, value in saved.items():
            setattr(WIRING, name, value)


async def test_the_demo_database_holds_the_robots_its_simulated_switch_plays(pool: asyncpg.Pool) -> None:
    from dialer.demo_data import ensure_demo_data

    async with pool.acquire() as conn:
        await ensure_demo_data(conn)
        await ensure_demo_data(conn)  # a second start adds nothing
        rows = await conn.fetch("SELECT name, status FROM amd_samples ORDER BY name")
    assert [(r["name"], r["status"]) for r in rows] == [(p.name, "verified") for p in sorted(SIM_LIBRARY.glob("*.wav"))]
