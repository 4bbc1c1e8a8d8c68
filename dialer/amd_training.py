"""Self-learning of the AMD classifier (R6.4): retrain on verified call outcomes, evaluate on the
frozen evaluation set shipped in `amd/data/sim`, promote only if people are not hung up on more.

Training and evaluation are CPU work and run in a thread; the database work stays on the loop.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from amd.audio import FRAME_S, AudioError, Pcm, decode_audio, frames, pcm_from_bytes, read_audio
from amd.classifier import EvalResult, Model, default_model, should_promote, train
from amd.detector import Detector, DetectorConfig
from amd.timing import TimingTracker
from amd.tones import ToneDetector
from amd.vad import Vad, frame_dbfs
from amd.verdict import VerdictKind
from dialer.errors import InvalidInput
from dialer.scheduler import TICK_S, Schedule, next_run, parse_schedule

log = logging.getLogger("dialer.amd_training")

EVAL_DIR = Path(__file__).resolve().parents[1] / "amd" / "data" / "sim"
LABELS = ("human", "machine")
MIN_PER_LABEL = 3
HORIZON_S = 5.0
MACHINE_LABELS = ("voicemail", "robot", "machine")


@dataclass(frozen=True)
class RetrainOutcome:
    version: str
    promoted: bool
    candidate: EvalResult
    active: EvalResult | None
    note: str


def snapshots(pcm: Pcm, every: int = 5) -> list[list[float]]:
    """Feature rows every 100 ms after onset, as the detector computes them (audio from answer)."""
    vad, tones, timing = Vad(DetectorConfig().vad_aggressiveness), ToneDetector(), TimingTracker()
    rows: list[list[float]] = []
    for i, fr in enumerate(frames(pcm)):
        if i * FRAME_S > HORIZON_S:
            break
        tones.feed(fr, i * FRAME_S)
        db = frame_dbfs(fr)
        timing.update(not tones.in_tone and vad.is_speech(fr, db), db)
        if (i + 1) % every == 0 and (f := timing.features()).heard_speech:
            rows.append(f.vector())
    return rows


def eval_set_id(directory: Path = EVAL_DIR) -> str:
    return "sim-" + hashlib.sha256((directory / "labels.csv").read_bytes()).hexdigest()[:12]


def evaluate(model: Model, directory: Path = EVAL_DIR) -> EvalResult:
    """Accuracy over people and machines, and the share of people not routed to an operator."""
    right = n = humans = lost = 0
    with (directory / "labels.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in ("human", *MACHINE_LABELS)]
    for r in rows:
        answer = float(r["answer_at_s"] or 0.0)
        det = Detector(None, model=model, answered_at_s=answer)
        verdict = None
        for fr in frames(read_audio(directory / r["file"])):
            if (verdict := det.feed(fr)) is not None:
                break
        verdict = verdict or det.finish()
        n += 1
        if r["label"] == "human":
            humans += 1
            lost += not verdict.kind.routes_to_operator
            right += verdict.kind.routes_to_operator
        else:
            right += verdict.kind in (VerdictKind.MACHINE, VerdictKind.ROBOT)
    return EvalResult(eval_set_id(directory), round(lost / humans, 4) if humans else 0.0,
                      round(right / n, 4) if n else 0.0)


async def add_recording(conn: asyncpg.Connection, label: str, data: bytes, call_id: str = "") -> int:
    """A verified outcome: audio from answer, labelled by the operator who heard it."""
    if label not in LABELS:
        raise InvalidInput({"label": "human or machine"})
    try:
        pcm = decode_audio(data, "recording")
    except AudioError as exc:
        raise InvalidInput({"file": str(exc)}) from exc
    rid: int = await conn.fetchval(
        "INSERT INTO amd_training_recordings (call_id, label, audio) VALUES ($1,$2,$3) RETURNING id",
        call_id, label, pcm.astype("<i2").tobytes())
    return rid


def _fit(recordings: list[tuple[str, bytes]]) -> Model:
    x: list[list[float]] = []
    y: list[int] = []
    w: list[float] = []
    for label, audio in recordings:
        snaps = snapshots(pcm_from_bytes(audio))
        if not snaps:
            continue
        # Every recording weighs the same; people twice, as losing one costs more than a voicemail.
        weight = (2.0 if label == "human" else 1.0) / len(snaps)
        x.extend(snaps)
        y.extend([int(label == "machine")] * len(snaps))
        w.extend([weight] * len(snaps))
    return train(x, y, w)


async def active_model(conn: asyncpg.Connection) -> Model:
    raw = await conn.fetchval("SELECT model FROM amd_models WHERE active")
    return Model.from_json(json.loads(raw)) if raw is not None else default_model()


async def _active_eval(conn: asyncpg.Connection, model: Model, eval_set: str) -> EvalResult:
    row = await conn.fetchrow(
        "SELECT accuracy, human_as_machine_rate FROM amd_eval_runs WHERE model_version=$1 AND eval_set=$2"
        " ORDER BY id DESC LIMIT 1", model.version, eval_set)
    if row is not None:
        return EvalResult(eval_set, float(row["human_as_machine_rate"]), float(row["accuracy"]))
    return await asyncio.to_thread(evaluate, model)


async def retrain(conn: asyncpg.Connection) -> RetrainOutcome:
    rows = await conn.fetch("SELECT label, audio FROM amd_training_recordings ORDER BY id")
    counts = {lab: sum(r["label"] == lab for r in rows) for lab in LABELS}
    if min(counts.values()) < MIN_PER_LABEL:
        raise InvalidInput({"__all__": f"retraining needs at least {MIN_PER_LABEL} verified recordings of "
                            f"each kind (people: {counts['human']}, machines: {counts['machine']})"})
    current = await active_model(conn)
    candidate = await asyncio.to_thread(_fit, [(r["label"], bytes(r["audio"])) for r in rows])
    cand_eval = await asyncio.to_thread(evaluate, candidate)
    active_eval = await _active_eval(conn, current, cand_eval.eval_set)
    promoted = should_promote(cand_eval, active_eval)
    note = ("promoted" if promoted else
            f"kept {current.version}: people hung up on {cand_eval.human_as_machine_rate:.1%} "
            f"vs {active_eval.human_as_machine_rate:.1%}")
    metrics = {"accuracy": cand_eval.accuracy, "human_as_machine_rate": cand_eval.human_as_machine_rate,
               "recordings": len(rows)}
    async with conn.transaction():
        await _ensure_stored(conn, current)
        await conn.execute("INSERT INTO amd_models (version, metrics, model) VALUES ($1,$2,$3)",
                           candidate.version, json.dumps(metrics), json.dumps(candidate.to_json()))
        if promoted:
            await conn.execute("UPDATE amd_models SET active=false WHERE active")
            await conn.execute("UPDATE amd_models SET active=true WHERE version=$1", candidate.version)
        for version, ev, prom in ((current.version, active_eval, False), (candidate.version, cand_eval, promoted)):
            await conn.execute(
                "INSERT INTO amd_eval_runs (model_version, eval_set, accuracy, human_as_machine_rate, promoted, note)"
                " VALUES ($1,$2,$3,$4,$5,$6)", version, ev.eval_set, ev.accuracy, ev.human_as_machine_rate, prom,
                note if version == candidate.version else "active model at retraining")
    log.info("AMD retrain: %s (%s)", candidate.version, note)
    return RetrainOutcome(candidate.version, promoted, cand_eval, active_eval, note)


async def _ensure_stored(conn: asyncpg.Connection, model: Model) -> None:
    """The shipped model becomes version one in the table, so the list shows what runs now."""
    await conn.execute(
        "INSERT INTO amd_models (version, metrics, model, active) VALUES ($1,$2,$3,"
        " NOT EXISTS (SELECT 1 FROM amd_models WHERE active)) ON CONFLICT (version) DO NOTHING",
        model.version, json.dumps(model.metrics), json.dumps(model.to_json()))


async def list_models(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    await _ensure_stored(conn, await active_model(conn))
    rows = await conn.fetch("SELECT version, created_at, metrics, active FROM amd_models ORDER BY created_at DESC")
    return [{**dict(r), "metrics": json.loads(r["metrics"])} for r in rows]


async def retrain_job(pool: asyncpg.Pool) -> RetrainOutcome | None:
    """The scheduled job (`run_retrain_scheduler`): skips quietly while there is too little data."""
    async with pool.acquire() as conn:
        try:
            return await retrain(conn)
        except InvalidInput as exc:
            log.info("AMD retrain skipped: %s", exc)
            return None


RETRAIN_LOCK = 7041982108
"""pg advisory lock key: two engine processes must not retrain (and promote) at the same time."""


def parse_retrain_schedule(text: str) -> Schedule:
    """The setting `amd_retrain_schedule`: `off`, `daily HH:MM`, `monthly D HH:MM`,
    `quarterly D HH:MM` (local time of Europe/Moscow, as the data-source schedules) or `every N`
    (minutes)."""
    words = text.strip().lower().split()
    kind = words[0] if words else "off"
    try:
        if kind in ("off", "manual") and len(words) == 1:
            return parse_schedule({"kind": "manual"})
        if kind == "daily" and len(words) == 2:
            return parse_schedule({"kind": "daily", "at": words[1]})
        if kind in ("monthly", "quarterly") and len(words) == 3:
            return parse_schedule({"kind": kind, "day": words[1], "at": words[2]})
        if kind == "every" and len(words) == 2:
            return parse_schedule({"kind": "every", "every_minutes": words[1]})
    except InvalidInput as exc:
        raise InvalidInput({"amd_retrain_schedule": f"{text!r}: {'; '.join(exc.fields.values())}"}) from exc
    raise InvalidInput({"amd_retrain_schedule": f"{text!r}: off, daily HH:MM, monthly D HH:MM, "
                        "quarterly D HH:MM or every N (minutes)"})


async def last_retrain_at(conn: asyncpg.Connection) -> datetime | None:
    at: datetime | None = await conn.fetchval("SELECT max(created_at) FROM amd_eval_runs")
    return at


async def retrain_tick(pool: asyncpg.Pool, schedule: Schedule, last: datetime | None,
                       now: datetime) -> datetime | None:
    """Retrain if the schedule is due; returns the new time of the last run."""
    when = next_run(schedule, last, now)
    if when is None or when > now:
        return last
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RETRAIN_LOCK):
            return now  # another engine process is retraining this slot
        try:
            await retrain_job(pool)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", RETRAIN_LOCK)
    # A skipped run (too little data) counts too: the next try is the next slot, not the next tick.
    return now


async def run_retrain_scheduler(stores: Any) -> None:
    """Background service of the engine roles (`dialer.runtime.ENGINE_SERVICES`)."""
    try:
        schedule = parse_retrain_schedule(stores.settings.amd_retrain_schedule)
    except InvalidInput as exc:
        log.error("AMD retraining is not scheduled: %s", "; ".join(exc.fields.values()))
        return
    if schedule.kind == "manual":
        log.info("AMD retraining is not scheduled (amd_retrain_schedule=off)")
        return
    async with stores.pool.acquire() as conn:
        last = await last_retrain_at(conn)
    log.info("AMD retraining scheduled: %s", stores.settings.amd_retrain_schedule)
    while True:
        try:
            last = await retrain_tick(stores.pool, schedule, last, datetime.now(UTC))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("AMD retraining failed")
            last = datetime.now(UTC)
        await asyncio.sleep(TICK_S)
