"""WebSocket endpoint for mod_audio_stream (early media and answered audio).

mod_audio_stream opens a WebSocket per call, sends its metadata as one text message and then
binary frames of 16-bit little-endian PCM (8 or 16 kHz, mono). The web layer mounts
`audio_stream_handler` and puts an `AmdHub` into the application under `AMD_HUB`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web
from scipy.signal import resample_poly

from amd.audio import FRAME_SAMPLES, pcm_from_bytes
from amd.detector import Detector
from amd.verdict import Verdict

log = logging.getLogger("dialer.amd.ws")


class AmdHub:
    """What the handler needs from the engine: a detector per call and where verdicts go.

    `make_detector(call_id, answered)` builds the call's Detector (answered_at_s=0.0 when the
    stream starts after answer, None for early media).
    """

    def __init__(self, make_detector: Callable[[str, bool], Detector],
                 on_verdict: Callable[[str, Verdict], None]) -> None:
        self.make_detector = make_detector
        self.on_verdict = on_verdict
        self.detectors: dict[str, Detector] = {}

    def answered(self, call_id: str) -> None:
        """The engine saw CHANNEL_ANSWER: audio from now on is the answered call, not early media."""
        det = self.detectors.get(call_id)
        if det is not None:
            det.answered()


AMD_HUB: web.AppKey[AmdHub] = web.AppKey("amd_hub", AmdHub)


def _call_id(request: web.Request, meta: dict[str, Any]) -> str | None:
    for key in ("call_id", "uuid", "callId"):
        if meta.get(key):
            return str(meta[key])
    return request.query.get("call_id") or request.query.get("uuid")


async def audio_stream_handler(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[AMD_HUB]
    ws = web.WebSocketResponse(max_msg_size=1 << 20)
    await ws.prepare(request)
    rate = int(request.query.get("rate", "8000"))
    if rate not in (8000, 16000):
        await ws.close(message=b"unsupported rate")
        return ws
    answered = request.query.get("answered", "1") != "0"
    call_id = request.query.get("call_id") or request.query.get("uuid")
    det: Detector | None = None
    pending = np.zeros(0, dtype=np.int16)
    odd = b""
    reported = False

    def report(v: Verdict) -> None:
        nonlocal reported
        if not reported and call_id is not None:
            reported = True
            hub.on_verdict(call_id, v)

    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            try:
                meta = json.loads(msg.data)
            except ValueError:
                meta = {}
            call_id = _call_id(request, meta if isinstance(meta, dict) else {}) or call_id
            continue
        if msg.type != WSMsgType.BINARY:
            break
        if call_id is None:
            await ws.close(message=b"no call id: pass ?call_id= or send metadata first")
            break
        if det is None:
            # answered=False: early media; the engine calls hub.answered() on CHANNEL_ANSWER.
            det = hub.make_detector(call_id, answered)
            hub.detectors[call_id] = det
        data = odd + msg.data
        odd = data[len(data) - len(data) % 2:] if len(data) % 2 else b""
        pcm = pcm_from_bytes(data)
        if rate == 16000:
            pcm = np.clip(resample_poly(pcm.astype(np.float64), 1, 2), -32768, 32767).astype(np.int16)
        pending = np.concatenate([pending, pcm])
        while len(pending) >= FRAME_SAMPLES and det.verdict is None:
            v = det.feed(pending[:FRAME_SAMPLES])
            pending = pending[FRAME_SAMPLES:]
            if v is not None:
                report(v)
                await ws.send_str(json.dumps({"type": "amd", "verdict": v.kind.value, "at_s": v.at_s,
                                              "sample_id": v.sample_id}))
    if det is not None and call_id is not None:
        report(det.finish())
        hub.detectors.pop(call_id, None)
    return ws
