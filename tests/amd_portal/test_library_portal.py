"""Settings → Detection module and /api/v1/amd: import with a per-file report, statuses, audio,
reload of the running library, operator candidates, retraining with promotion (R6.2-R6.4)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import asyncpg
import numpy as np
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from amd.audio import read_audio, wav_bytes
from amd.library import SampleStatus
from dialer import amd_training
from tests.webtools import make_user, post_form, sign_in
from web.amd_library import LIBRARY

SIM = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim"


def robot_wav(k: int = 0) -> bytes:
    return sorted((SIM / "library").glob("*.wav"))[k].read_bytes()


def stereo_48k(wav8k: bytes) -> bytes:
    import wave

    pcm = np.frombuffer(wav8k[44:], dtype="<i2")
    up = np.repeat(pcm, 6)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(np.column_stack([up, up]).astype("<i2").tobytes())
    return buf.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


async def _admin(client: TestClient, pool: asyncpg.Pool) -> str:
    await make_user(pool, "amdadmin")
    return await sign_in(client, "amdadmin")


async def test_zip_import_reports_each_file_and_reloads_the_library(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await _admin(client, pool)
    archive = zipped({"a.wav": robot_wav(0), "again.wav": robot_wav(0), "broken.wav": b"RIFF1234WAVEjunk",
                      "empty.mp3": b"", "notes.txt": b"hello", "b48k.wav": stereo_48k(robot_wav(1))})
    form = FormData({"_csrf": csrf})
    form.add_field("file", archive, filename="robots.zip", content_type="application/zip")
    resp = await client.post("/settings/amd/import", data=form)
    text = await resp.text()
    assert resp.status == 200, text
    assert "a.wav: imported" in text
    assert "again.wav: duplicate of «a.wav»" in text
    assert "broken.wav:" in text and "empty.mp3: the file is empty" in text
    assert "notes.txt: skipped" in text
    assert "b48k.wav: imported, converted from stereo, 48000 Hz" in text
    lib = client.app[LIBRARY]
    assert len(lib) == 2 and len(lib.index) == 0  # imports are candidates until verified
    async with pool.acquire() as conn:
        sid = await conn.fetchval("SELECT id FROM amd_samples WHERE name='a.wav'")
    resp = await post_form(client, f"/settings/amd/samples/{sid}/status", csrf, {"status": "verified"})
    assert resp.status == 302
    assert lib.get(str(sid)) is not None and lib.get(str(sid)).status is SampleStatus.VERIFIED  # type: ignore[union-attr]
    assert len(lib.index) == 1
    audio = await client.get(f"/settings/amd/samples/{sid}/audio")
    assert audio.status == 200 and audio.content_type == "audio/wav"
    assert len(read_audio_bytes(await audio.read())) > 4000
    page = await (await client.get("/settings/amd")).text()
    assert f'<audio controls preload="none" src="/settings/amd/samples/{sid}/audio">' in page
    resp = await post_form(client, f"/settings/amd/samples/{sid}/delete", csrf)
    assert resp.status == 302 and lib.get(str(sid)) is None


def read_audio_bytes(data: bytes) -> np.ndarray:
    tmp = Path("/tmp") / f"amd-test-{id(data)}.wav"
    tmp.write_bytes(data)
    try:
        return read_audio(tmp)
    finally:
        tmp.unlink()


async def test_api_candidate_status_and_errors(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await _admin(client, pool)
    headers = {"X-CSRF-Token": csrf}
    form = FormData({"call_id": "c-42"})
    form.add_field("file", robot_wav(2), filename="rec.wav", content_type="audio/wav")
    resp = await client.post("/api/v1/amd/candidates", data=form, headers=headers)
    assert resp.status == 201, await resp.text()
    sid = (await resp.json())["sample_id"]
    sample = await (await client.get(f"/api/v1/amd/samples/{sid}")).json()
    assert sample["source"] == "operator" and sample["status"] == "candidate" and sample["call_id"] == "c-42"
    again = FormData({"call_id": "c-43"})
    again.add_field("file", robot_wav(2), filename="rec2.wav", content_type="audio/wav")
    dup = await client.post("/api/v1/amd/candidates", data=again, headers=headers)
    assert dup.status == 422 and "duplicate of" in await dup.text()
    resp = await client.put(f"/api/v1/amd/samples/{sid}", json={"status": "verified"}, headers=headers)
    assert resp.status == 200 and (await resp.json())["status"] == "verified"
    bad = await client.put(f"/api/v1/amd/samples/{sid}", json={"status": "gold"}, headers=headers)
    assert bad.status == 422
    listing = await (await client.get("/api/v1/amd/samples?status=verified")).json()
    assert [s["id"] for s in listing["samples"]] == [sid] and listing["usage"]["verified"] == 1
    assert (await client.delete(f"/api/v1/amd/samples/{sid}", headers=headers)).status == 200
    assert (await client.get(f"/api/v1/amd/samples/{sid}")).status == 404


async def test_retrain_promotes_only_when_people_are_not_lost_more(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await _admin(client, pool)
    resp = await post_form(client, "/settings/amd/retrain", csrf)
    assert resp.status == 302  # too little data: refused with a message, nothing stored
    import csv

    with (SIM / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    async with pool.acquire() as conn:
        for r in rows:
            if r["label"] not in ("human", "voicemail", "robot"):
                continue
            pcm = read_audio(SIM / r["file"])[round(float(r["answer_at_s"] or 0) * 8000):]
            await amd_training.add_recording(conn, "human" if r["label"] == "human" else "machine", wav_bytes(pcm))
        outcome = await amd_training.retrain(conn)
        models = await amd_training.list_models(conn)
    assert outcome.version in [m["version"] for m in models]
    assert sum(m["active"] for m in models) == 1
    active = next(m for m in models if m["active"])
    assert (active["version"] == outcome.version) == outcome.promoted
    page = await (await client.get("/settings/amd")).text()
    assert outcome.version in page


async def test_a_robot_verdict_counts_a_match_of_its_sample(client: TestClient, pool: asyncpg.Pool) -> None:
    import asyncio

    from amd.detector import Detector
    from amd.verdict import VerdictKind

    csrf = await _admin(client, pool)
    headers = {"X-CSRF-Token": csrf}
    form = FormData({"call_id": "c-7"})
    form.add_field("file", robot_wav(3), filename="robot.wav", content_type="audio/wav")
    resp = await client.post("/api/v1/amd/candidates", data=form, headers=headers)
    assert resp.status == 201, await resp.text()
    sid = (await resp.json())["sample_id"]
    assert (await client.put(f"/api/v1/amd/samples/{sid}", json={"status": "verified"}, headers=headers)).status == 200
    # A call that plays the sample after a short pause, through the portal process's library.
    pcm = read_audio_bytes(robot_wav(3))
    call = np.concatenate([np.zeros(2400, dtype=np.int16), pcm, np.zeros(8000, dtype=np.int16)])
    det = Detector(client.app[LIBRARY], answered_at_s=0.0)
    verdict = None
    for i in range(0, len(call) - 159, 160):
        if (verdict := det.feed(call[i:i + 160])) is not None:
            break
    assert verdict is not None and verdict.kind is VerdictKind.ROBOT and verdict.sample_id == str(sid)
    sample: dict[str, object] = {}
    for _ in range(100):  # the count is written in the background, never in the detector's path
        sample = await (await client.get(f"/api/v1/amd/samples/{sid}")).json()
        if sample["matches"]:
            break
        await asyncio.sleep(0.02)
    assert sample["matches"] == 1 and sample["last_match_at"]
