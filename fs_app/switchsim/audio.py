"""``call-command: unicast``: raw L16/8 kHz audio as UDP datagrams, 320 bytes every 20 ms.

Clips come from ``amd/data/sim/`` (its manifest maps files to kinds) when present; otherwise
a signal is synthesised per kind (speech-like bursts, a greeting plus a 1 kHz beep, a steady
robotic tone mix, or near silence) so the AMD path has something realistic-shaped to chew on.
All streams share one 20 ms ticker instead of one timer per call.
"""

from __future__ import annotations

import array
import asyncio
import csv
import json
import logging
import math
import random
import socket
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from fs_app.switchsim.population import CallPlan

if TYPE_CHECKING:
    from fs_app.switchsim.channel import Channel
    from fs_app.switchsim.core import SimCore

log = logging.getLogger("dialer.switchsim")

RATE = 8000
FRAME_BYTES = 320  # 20 ms of 16-bit mono at 8 kHz
FIRST_PACKET_S = 0.04  # FreeSWITCH's first datagram came ~40 ms after the sendmsg
KIND_ALIASES = {"machine": "voicemail", "answering_machine": "voicemail", "voicemail": "voicemail",
                "human": "human", "robot": "robot", "silence": "silence"}


def _pcm(samples: list[float]) -> bytes:
    return array.array("h", (max(-32767, min(32767, int(s))) for s in samples)).tobytes()


def synthesize(kind: str, seed: int = 0) -> bytes:
    """A few seconds of a kind-shaped signal, deterministic for a seed."""
    rng = random.Random(f"{kind}:{seed}")
    out: list[float] = []

    def silence(seconds: float) -> None:
        out.extend(rng.gauss(0, 30) for _ in range(int(seconds * RATE)))

    def speech(seconds: float) -> None:
        f0 = rng.uniform(110, 220)
        for i in range(int(seconds * RATE)):
            t = i / RATE
            envelope = max(0.0, math.sin(2 * math.pi * 3.5 * t)) ** 0.6  # syllables
            voiced = sum(math.sin(2 * math.pi * f0 * h * t) / h for h in (1, 2, 3, 4))
            out.append(envelope * (5000 * voiced + rng.gauss(0, 600)))

    def tone(freq: float, seconds: float, amp: float = 8000) -> None:
        out.extend(amp * math.sin(2 * math.pi * freq * i / RATE) for i in range(int(seconds * RATE)))

    if kind == "human":
        silence(0.4)
        speech(1.1)
        silence(2.5)
    elif kind == "voicemail":
        silence(0.3)
        speech(4.0)
        silence(0.3)
        tone(1000, 0.5)
        silence(2.0)
    elif kind == "robot":
        silence(0.2)
        for _ in range(6):
            tone(rng.choice((300, 400, 500)), 0.4, 6000)
            silence(0.1)
        silence(1.0)
    else:
        silence(3.0)
    return _pcm(out)


def _read_wav(path: Path) -> bytes | None:
    try:
        with wave.open(str(path)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1 or wav.getframerate() != RATE:
                log.warning("skipping %s: not mono 16-bit 8 kHz", path)
                return None
            return wav.readframes(wav.getnframes())
    except (OSError, wave.Error) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None


def load_library(folder: str | Path) -> dict[str, list[bytes]]:
    """Clips by kind from ``manifest.json`` (list of {file|path, kind|label}) or ``manifest.csv``."""
    root = Path(folder)
    entries: list[dict[str, str]] = []
    if (root / "manifest.json").is_file():
        data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        items = data.get("files", data.get("items", [])) if isinstance(data, dict) else data
        entries = [e for e in (items or []) if isinstance(e, dict)]
    elif (root / "manifest.csv").is_file():
        with (root / "manifest.csv").open(encoding="utf-8") as fh:
            entries = list(csv.DictReader(fh))
    library: dict[str, list[bytes]] = {}
    for entry in entries:
        name = entry.get("file") or entry.get("path") or ""
        # "label" is the class (human, voicemail, robot ...); "kind" may be a finer description.
        kind = KIND_ALIASES.get(str(entry.get("label") or entry.get("kind") or "").lower())
        if not name or kind is None:
            continue
        pcm = _read_wav(root / name)
        if pcm:
            pcm = pcm[_answer_offset(entry.get("answer_at_s")):]
        if pcm:
            library.setdefault(kind, []).append(pcm)
    return library


def _answer_offset(answer_at_s: object) -> int:
    """Bytes before the answer. A corpus recording may start with the ringing (early media);
    unicast audio starts only after the answer, so a clip played from byte 0 would give the
    detector seconds of ringing or silence first and a person would be heard as SILENCE."""
    try:
        seconds = float(answer_at_s) if answer_at_s not in (None, "") else 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return max(0, int(seconds * RATE)) * 2


class _Sender(asyncio.DatagramProtocol):
    """Stops a stream whose listener went away (ICMP port unreachable), instead of asyncio
    logging a warning for every 20 ms datagram that follows."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def error_received(self, exc: Exception) -> None:
        self.transport.close()


class _Stream:
    __slots__ = ("pcm", "pos", "start_at", "transport")

    def __init__(self, pcm: bytes, transport: asyncio.DatagramTransport, start_at: float) -> None:
        self.pcm, self.pos, self.transport, self.start_at = pcm, 0, transport, start_at


class AudioHub:
    def __init__(self, core: SimCore, folder: str | Path) -> None:
        self.core = core
        self.library = load_library(folder) if Path(folder).is_dir() else {}
        self.synthetic = not self.library
        if self.synthetic:
            log.info("no clips in %s: unicast audio is synthesised", folder)
        self.streams: dict[str, _Stream] = {}
        self._tick: asyncio.TimerHandle | None = None
        self._cache: dict[str, bytes] = {}
        self._opening: set[asyncio.Task[None]] = set()

    def clip_for(self, ch: Channel) -> bytes:
        kind = ch.plan.kind if isinstance(ch.plan, CallPlan) else "human"
        kind = kind if kind in ("human", "voicemail", "robot") else "silence"
        clips = self.library.get(kind)
        if clips:
            return clips[self.core.rng.randrange(len(clips))]
        if kind not in self._cache:
            self._cache[kind] = synthesize(kind)
        return self._cache[kind]

    def start(self, ch: Channel, local: tuple[str, int], remote: tuple[str, int]) -> None:
        loop = self.core.loop
        start_at = loop.time() + FIRST_PACKET_S
        self.stop(ch.uuid)
        task = loop.create_task(self._open(ch, local, remote, start_at))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    async def _open(self, ch: Channel, local: tuple[str, int], remote: tuple[str, int], start_at: float) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(local)
        except OSError:
            sock.bind((local[0], 0))  # the requested local port is taken: any port will do
        sock.setblocking(False)
        try:
            sock.connect(remote)
            transport, _ = await self.core.loop.create_datagram_endpoint(_Sender, sock=sock)
        except OSError as exc:
            sock.close()
            log.warning("unicast to %s failed: %s", remote, exc)
            return
        if not ch.alive:
            transport.close()
            return
        self.streams[ch.uuid] = _Stream(self.clip_for(ch), transport, start_at)
        ch.audio_stop = lambda: self.stop(ch.uuid)
        if self._tick is None:
            loop = self.core.loop
            self._tick = loop.call_at(max(loop.time(), start_at), self._on_tick)

    def stop(self, uuid: str) -> None:
        stream = self.streams.pop(uuid, None)
        if stream is not None:
            stream.transport.close()

    def _on_tick(self) -> None:
        loop = self.core.loop
        now = loop.time()
        for stream in list(self.streams.values()):
            if now + 0.001 < stream.start_at:
                continue
            # Catch up if the loop was late, so the rate stays 50 datagrams/s on average.
            while stream.start_at <= now + 0.001:
                chunk = stream.pcm[stream.pos : stream.pos + FRAME_BYTES]
                stream.pos += FRAME_BYTES
                if len(chunk) < FRAME_BYTES:  # after the clip: silence while the line is up
                    chunk = chunk + bytes(FRAME_BYTES - len(chunk))
                if stream.transport.is_closing():
                    break
                try:
                    stream.transport.sendto(chunk)
                except OSError:
                    break
                stream.start_at += 0.02
        self._tick = loop.call_at(now + 0.02, self._on_tick) if self.streams else None

    def close(self) -> None:
        for uuid in list(self.streams):
            self.stop(uuid)
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

