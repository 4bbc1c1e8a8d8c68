"""The AMD sample library in PostgreSQL (R6.2-R6.4): import, statuses, usage, reload.

Audio is stored as the detector hears it (8 kHz mono s16le), so a sample matches exactly what
was verified; `load_records()` hands the table to an in-process `amd.library.SampleLibrary`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import numpy as np

from amd.audio import RATE, AudioError, decode_audio, pcm_from_bytes, wav_bytes
from amd.library import (
    DuplicateSampleError,
    Sample,
    SampleLibrary,
    SampleRecord,
    SampleStats,
    SampleStatus,
    pcm_sha256,
)
from dialer.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from dialer.kv import LiveStore

log = logging.getLogger("dialer.amd_store")

STATUSES = tuple(s.value for s in SampleStatus)
SOURCES = ("import", "operator", "auto")
AUDIO_SUFFIXES = (".wav", ".mp3")
MAX_ZIP_FILES = 500
RELOAD_CHANNEL = "amd.reload"


@dataclass(frozen=True)
class ImportResult:
    """One uploaded file's outcome, shown to the user line by line."""

    file: str
    ok: bool
    message: str
    sample_id: int | None = None


def _wav_format(data: bytes) -> str:
    """What was converted, for the report ("stereo, 48000 Hz"); empty for 8 kHz mono or non-WAV."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, rate = w.getnchannels(), w.getframerate()
    except (wave.Error, EOFError):
        return ""
    notes = []
    if channels != 1:
        notes.append("stereo" if channels == 2 else f"{channels} channels")
    if rate != RATE:
        notes.append(f"{rate} Hz")
    return ", ".join(notes)


def unpack_upload(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """A WAV/MP3 as itself, a ZIP as its audio members; anything else is reported per file."""
    if not name.lower().endswith(".zip"):
        return [(name, data)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            if len(members) > MAX_ZIP_FILES:
                raise InvalidInput({"file": f"the archive holds more than {MAX_ZIP_FILES} files"})
            return [(i.filename, zf.read(i)) for i in members]
    except zipfile.BadZipFile as exc:
        raise InvalidInput({"file": f"{name}: the archive is corrupted"}) from exc


def _row_sample(r: asyncpg.Record) -> Sample:
    created = r["created_at"].timestamp() if r["created_at"] else 0.0
    return Sample(str(r["id"]), SampleStatus(r["status"]), float(r["duration_s"]), r["sha256"], r["name"],
                  r["source"], created)


async def load_records(conn: asyncpg.Connection) -> tuple[list[SampleRecord], dict[str, SampleStats]]:
    rows = await conn.fetch("SELECT * FROM amd_samples ORDER BY id")
    records = [SampleRecord(_row_sample(r), pcm_from_bytes(bytes(r["audio"]))) for r in rows]
    stats = {str(r["id"]): SampleStats(int(r["matches"]), r["last_match_at"].timestamp() if r["last_match_at"]
                                       else None) for r in rows}
    return records, stats


async def reload_library(conn: asyncpg.Connection, library: SampleLibrary) -> None:
    records, stats = await load_records(conn)
    library.reload(records, stats)


async def follow_reloads(pool: asyncpg.Pool, live: LiveStore, library: SampleLibrary, *,
                         own_origin: str = "", retry_s: float = 2.0) -> None:
    """Runs until cancelled: reloads `library` on every `amd.reload` message (a sample added,
    verified, disabled or deleted by any process), except the ones `own_origin` sent itself.

    Messages published while the subscription was down are lost, so the library is reloaded once
    after every resubscription: a verified sample must not wait for the next change to count.
    """
    missed = False
    while True:
        try:
            if missed:
                async with pool.acquire() as conn:
                    await reload_library(conn, library)
                missed = False
            async for origin in live.subscribe(RELOAD_CHANNEL):
                if origin != own_origin:
                    async with pool.acquire() as conn:
                        await reload_library(conn, library)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("AMD reload subscription failed; retrying")
            missed = True
            await asyncio.sleep(retry_s)


async def _duplicate_name(conn: asyncpg.Connection, sample_id: str) -> str:
    name = await conn.fetchval("SELECT name FROM amd_samples WHERE id=$1", int(sample_id))
    return f"«{name}» (#{sample_id})" if name else f"#{sample_id}"


async def add_sample(conn: asyncpg.Connection, library: SampleLibrary, name: str, data: bytes, *,
                     source: str = "import", status: str = "candidate", user_id: int | None = None,
                     call_id: str = "") -> ImportResult:
    """Validate, check for duplicates against the library, store. Never raises for bad audio."""
    if source not in SOURCES or status not in STATUSES:
        raise InvalidInput({"status": "unknown status or source"})
    try:
        pcm = decode_audio(data, name)
    except AudioError as exc:
        msg = str(exc)
        if "unknown format" in msg or "cannot" in msg.lower():
            msg = f"{name}: the file is corrupted or not WAV/MP3 ({exc})"
        return ImportResult(name, False, msg)
    if len(pcm) < RATE // 2:
        return ImportResult(name, False, f"{name}: a sample must hold at least 0.5 s of audio")
    if float(np.max(np.abs(pcm.astype(np.int32)))) < 100:
        return ImportResult(name, False, f"{name}: the file is empty (silence only)")
    dup = library.find_duplicate(pcm)
    if dup is None:
        existing = await conn.fetchval("SELECT id FROM amd_samples WHERE sha256=$1", pcm_sha256(pcm))
        dup = (str(existing), "identical audio") if existing is not None else None
    if dup is not None:
        return ImportResult(name, False, f"{name}: duplicate of {await _duplicate_name(conn, dup[0])} ({dup[1]})")
    converted = _wav_format(data)
    sid = await conn.fetchval(
        "INSERT INTO amd_samples (name, status, source, audio, duration_s, sha256, call_id, created_by)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        name[:200], status, source, np.asarray(pcm, dtype="<i2").tobytes(), round(len(pcm) / RATE, 3),
        pcm_sha256(pcm), call_id, user_id)
    # The in-process library learns the sample at once, so the next file of a ZIP is checked against it.
    library.add(str(sid), pcm, SampleStatus(status), name=name, source=source, check_duplicate=False)
    note = f"imported, converted from {converted} to 8000 Hz mono" if converted else "imported"
    log.info("AMD sample %s added from %s (%s)", sid, name, source)
    return ImportResult(name, True, f"{name}: {note}", int(sid))


async def import_upload(conn: asyncpg.Connection, library: SampleLibrary, name: str, data: bytes,
                        user_id: int | None) -> list[ImportResult]:
    results = []
    for member, payload in unpack_upload(name, data):
        if not member.lower().endswith(AUDIO_SUFFIXES) and name.lower().endswith(".zip"):
            results.append(ImportResult(member, False, f"{member}: skipped, not a WAV or MP3 file"))
            continue
        try:
            results.append(await add_sample(conn, library, member, payload, user_id=user_id))
        except DuplicateSampleError as exc:  # raced with another import; report like any duplicate
            results.append(ImportResult(member, False, f"{member}: {exc}"))
    return results


async def list_samples(conn: asyncpg.Connection, status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise InvalidInput({"status": "one of candidate, verified, disabled"})
    rows = await conn.fetch(
        "SELECT id, name, status, source, duration_s, call_id, matches, last_match_at, created_at, created_by"
        " FROM amd_samples WHERE $1::text IS NULL OR status=$1 ORDER BY id DESC", status)
    return [dict(r) for r in rows]


async def get_sample(conn: asyncpg.Connection, sample_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT id, name, status, source, duration_s, call_id, matches, last_match_at, created_at, created_by"
        " FROM amd_samples WHERE id=$1", sample_id)
    if row is None:
        raise NotFound(f"sample {sample_id}")
    return dict(row)


async def sample_wav(conn: asyncpg.Connection, sample_id: int) -> tuple[str, bytes]:
    row = await conn.fetchrow("SELECT name, audio FROM amd_samples WHERE id=$1", sample_id)
    if row is None:
        raise NotFound(f"sample {sample_id}")
    base = str(row["name"]).rsplit("/", 1)[-1].rsplit(".", 1)[0] or f"sample-{sample_id}"
    return f"{base}.wav", wav_bytes(pcm_from_bytes(bytes(row["audio"])))


async def set_status(conn: asyncpg.Connection, sample_id: int, status: str) -> None:
    if status not in STATUSES:
        raise InvalidInput({"status": "one of candidate, verified, disabled"})
    done = await conn.execute("UPDATE amd_samples SET status=$2 WHERE id=$1", sample_id, status)
    if done.endswith(" 0"):
        raise NotFound(f"sample {sample_id}")


async def delete_sample(conn: asyncpg.Connection, sample_id: int) -> None:
    done = await conn.execute("DELETE FROM amd_samples WHERE id=$1", sample_id)
    if done.endswith(" 0"):
        raise NotFound(f"sample {sample_id}")


async def record_match(conn: asyncpg.Connection, sample_id: str, at: float) -> None:
    """Usage statistics: detectors report matches; the portal shows counts and the last match."""
    await conn.execute("UPDATE amd_samples SET matches = matches + 1, last_match_at=$2 WHERE id=$1",
                       int(sample_id), datetime.fromtimestamp(at, UTC))


class MatchRecorder:
    """`SampleLibrary(on_match=...)` that writes usage statistics to the table.

    A detector reports its match from inside `feed()`, on the event loop (UDP and WebSocket
    receivers) or on a worker thread; it must not wait for the database, so the write is
    scheduled on the loop and a failed one is only logged: a lost count never fails a call.
    """

    def __init__(self, pool: asyncpg.Pool, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._pool = pool
        self._loop = loop or asyncio.get_running_loop()
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, sample_id: str, at: float) -> None:
        if not sample_id.isdigit():
            return  # not a stored sample (a directory loaded for a benchmark): nothing to count
        self._loop.call_soon_threadsafe(self._start, sample_id, at)

    def _start(self, sample_id: str, at: float) -> None:
        task = self._loop.create_task(self._write(sample_id, at))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, sample_id: str, at: float) -> None:
        try:
            async with self._pool.acquire() as conn:
                await record_match(conn, sample_id, at)
        except Exception:
            log.exception("could not record a match of AMD sample %s", sample_id)

    async def drain(self) -> None:
        """Wait for the writes scheduled so far (shutdown, tests)."""
        await asyncio.sleep(0)  # let call_soon_threadsafe callbacks create their tasks
        while self._pending:
            await asyncio.gather(*list(self._pending))


async def usage(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT count(*) AS samples, count(*) FILTER (WHERE status='verified') AS verified,"
        " count(*) FILTER (WHERE status='candidate') AS candidates, coalesce(sum(matches), 0) AS matches,"
        " max(last_match_at) AS last_match_at FROM amd_samples")
    return dict(row) if row is not None else {}
