"""UDP unicast receiver and the mod_audio_stream WebSocket handler."""

from __future__ import annotations

import asyncio
import socket

import numpy as np
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from amd.detector import Detector
from amd.unicast import UnicastReceiver, start_receiver
from amd.verdict import Verdict, VerdictKind
from amd.ws import AMD_HUB, AmdHub, audio_stream_handler


async def test_unicast_routes_by_source_port(human_raw: bytes, machine_raw: bytes) -> None:
    got: dict[str, Verdict] = {}
    transport, receiver = await start_receiver(lambda cid, v: got.__setitem__(cid, v), port=0)
    port = transport.get_extra_info("sockname")[1]
    senders = []
    try:
        for call_id, data in (("human", human_raw), ("machine", machine_raw)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            receiver.register(s.getsockname()[1], call_id, Detector())
            senders.append((s, data))
        # Interleave both calls' datagrams as FreeSWITCH would.
        for i in range(0, max(len(d) for _, d in senders), 320):
            for s, data in senders:
                if i < len(data):
                    s.sendto(data[i:i + 320], ("127.0.0.1", port))
            # Pace like real time (compressed): a burst would overflow the socket buffer and lose audio.
            await asyncio.sleep(0.0005)
        for _ in range(200):
            if len(got) == 2:
                break
            await asyncio.sleep(0.01)
        for s, _ in senders:
            receiver.unregister(s.getsockname()[1])
    finally:
        for s, _ in senders:
            s.close()
        transport.close()
    assert got["human"].kind in (VerdictKind.HUMAN, VerdictKind.NOTSURE)
    assert got["machine"].kind is VerdictKind.MACHINE


def test_unicast_stream_that_stops_gets_a_verdict(machine_raw: bytes) -> None:
    got: list[Verdict] = []
    r = UnicastReceiver(lambda cid, v: got.append(v), idle_timeout_s=0.5)
    r.register(4000, "c1", Detector())
    for i in range(0, 320 * 50, 320):
        r.datagram_received(machine_raw[i:i + 320], ("127.0.0.1", 4000))
    r.datagram_received(b"\x00" * 320, ("127.0.0.1", 5555))  # unknown call
    assert r.unknown_datagrams == 1 and got == []
    assert r.expire_idle(now=1e12) == ["c1"]
    assert len(got) == 1 and got[0].at_s == 1.0
    assert r.expire_idle(now=2e12) == []  # reported once


async def test_ws_handler_mod_audio_stream(human_raw: bytes, machine_raw: bytes) -> None:
    got: dict[str, Verdict] = {}
    app = web.Application()
    app[AMD_HUB] = AmdHub(lambda cid, answered: Detector(answered_at_s=0.0 if answered else None),
                          lambda cid, v: got.__setitem__(cid, v))
    app.router.add_get("/amd/stream", audio_stream_handler)
    async with TestClient(TestServer(app)) as client:
        ws = await client.ws_connect("/amd/stream")
        await ws.send_str('{"call_id": "m1", "campaign": "x"}')
        for i in range(0, len(machine_raw), 640):  # 40 ms messages, not aligned to frames
            await ws.send_bytes(machine_raw[i:i + 641][:640])
        await ws.close()
        # 16 kHz stream: upsample the human fixture and send it in odd-sized chunks.
        pcm = np.frombuffer(human_raw, dtype="<i2")
        up = np.repeat(pcm, 2).astype("<i2").tobytes()
        ws = await client.ws_connect("/amd/stream?call_id=h1&rate=16000")
        for i in range(0, len(up), 1001):
            await ws.send_bytes(up[i:i + 1001])
        await ws.close()
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.01)
    assert got["m1"].kind is VerdictKind.MACHINE
    assert got["h1"].kind in (VerdictKind.HUMAN, VerdictKind.NOTSURE)
