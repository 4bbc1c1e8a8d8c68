"""FreeSWITCH `unicast` audio: raw L16 datagrams (20 ms, 320 bytes) from parked channels.

One socket serves every call: FreeSWITCH sends each call's audio from the `local-port` the
engine named in `sendmsg ... call-command: unicast`, so the datagram's source port says
which call it belongs to.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from amd.audio import FRAME_BYTES, pcm_from_bytes
from amd.detector import Detector
from amd.verdict import Verdict

log = logging.getLogger("dialer.amd.unicast")

VerdictCallback = Callable[[str, Verdict], None]


@dataclass
class _Session:
    call_id: str
    detector: Detector
    buffer: bytearray = field(default_factory=bytearray)
    last_packet: float = field(default_factory=time.monotonic)
    done: bool = False


class UnicastReceiver(asyncio.DatagramProtocol):
    """Routes datagrams by the sender's port to that call's Detector; reports each verdict once."""

    def __init__(self, on_verdict: VerdictCallback, idle_timeout_s: float = 1.0) -> None:
        self._on_verdict = on_verdict
        self._by_port: dict[int, _Session] = {}
        self.idle_timeout_s = idle_timeout_s
        self.unknown_datagrams = 0

    def register(self, fs_local_port: int, call_id: str, detector: Detector) -> None:
        self._by_port[fs_local_port] = _Session(call_id, detector)

    def unregister(self, fs_local_port: int) -> Verdict | None:
        """The call ended (or the engine stopped the stream): a verdict on what arrived."""
        s = self._by_port.pop(fs_local_port, None)
        if s is None:
            return None
        return self._finish(s)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        s = self._by_port.get(int(addr[1]))
        if s is None:
            self.unknown_datagrams += 1
            return
        s.last_packet = time.monotonic()
        if s.done:
            return
        s.buffer.extend(data)
        # Datagrams are normally whole 20 ms frames; a codec with other packetisation still works.
        while len(s.buffer) >= FRAME_BYTES and not s.done:
            frame = pcm_from_bytes(bytes(s.buffer[:FRAME_BYTES]))
            del s.buffer[:FRAME_BYTES]
            v = s.detector.feed(frame)
            if v is not None:
                self._report(s, v)

    def expire_idle(self, now: float | None = None) -> list[str]:
        """Calls whose audio stopped: they get a verdict on what arrived; returns their ids."""
        t = time.monotonic() if now is None else now
        gone = [p for p, s in self._by_port.items() if not s.done and t - s.last_packet >= self.idle_timeout_s]
        ended = []
        for port in gone:
            s = self._by_port[port]
            self._finish(s)
            ended.append(s.call_id)
        return ended

    def _finish(self, s: _Session) -> Verdict:
        if s.done and s.detector.verdict is not None:
            return s.detector.verdict
        if s.buffer:
            tail = np.zeros(FRAME_BYTES // 2, dtype=np.int16)
            part = pcm_from_bytes(bytes(s.buffer))
            tail[: len(part)] = part
            s.buffer.clear()
            v = s.detector.feed(tail)
            if v is not None:
                self._report(s, v)
                return v
        v = s.detector.finish()
        self._report(s, v)
        return v

    def _report(self, s: _Session, v: Verdict) -> None:
        if s.done:
            return
        s.done = True
        log.info("call %s: %s at %.2f s (%s)", s.call_id, v.kind, v.at_s, v.reason)
        try:
            self._on_verdict(s.call_id, v)
        except Exception:  # a failing consumer must not stop the audio of other calls
            log.exception("verdict callback failed for call %s", s.call_id)

    def error_received(self, exc: Exception) -> None:
        log.warning("unicast socket error: %s", exc)


async def watch_idle(receiver: UnicastReceiver, every_s: float = 0.25) -> None:
    """Run as a task next to the receiver: streams that stop mid-call still get a verdict."""
    while True:
        await asyncio.sleep(every_s)
        receiver.expire_idle()


async def start_receiver(on_verdict: VerdictCallback, host: str = "127.0.0.1", port: int = 9876,
                         idle_timeout_s: float = 1.0) -> tuple[asyncio.DatagramTransport, UnicastReceiver]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: UnicastReceiver(on_verdict, idle_timeout_s), local_addr=(host, port))
    return transport, protocol
