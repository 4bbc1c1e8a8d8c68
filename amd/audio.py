"""Audio input: WAV/MP3 decoding to 8 kHz mono int16, G.711 companding and framing."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

log = logging.getLogger("dialer.amd.audio")

RATE = 8000
FRAME_SAMPLES = 160
FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_S = FRAME_SAMPLES / RATE
MAX_SAMPLE_S = 120.0

Pcm = NDArray[np.int16]


class AudioError(ValueError):
    """Input audio that cannot be used; the message names the problem for the user."""


def pcm_from_bytes(data: bytes) -> Pcm:
    """Signed 16-bit little-endian linear PCM (FreeSWITCH L16 / unicast payload) as samples."""
    usable = len(data) - (len(data) % 2)
    return np.frombuffer(data[:usable], dtype="<i2").astype(np.int16)


def frames(pcm: Pcm, size: int = FRAME_SAMPLES) -> Iterator[Pcm]:
    """20 ms frames; a short tail is padded with silence so no audio is lost."""
    for start in range(0, len(pcm), size):
        chunk = pcm[start:start + size]
        if len(chunk) < size:
            chunk = np.concatenate([chunk, np.zeros(size - len(chunk), dtype=np.int16)])
        yield chunk


def _to_int16(x: NDArray[np.floating]) -> Pcm:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def resample(pcm: NDArray[np.floating] | Pcm, rate: int, target: int = RATE) -> Pcm:
    if rate == target:
        return _to_int16(np.asarray(pcm, dtype=np.float64))
    g = np.gcd(rate, target)
    return _to_int16(resample_poly(np.asarray(pcm, dtype=np.float64), target // g, rate // g))


def _decode_wav(data: bytes, name: str) -> tuple[NDArray[np.float64], int]:
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(n)
    except (wave.Error, EOFError) as exc:
        if data[:4] == b"RIFF" and data[20:22] in (b"\x03\x00", b"\x06\x00", b"\x07\x00"):
            return _decode_wav_other(data, name)
        raise AudioError(f"{name}: not a readable WAV file ({exc})") from exc
    if rate < 4000 or rate > 192000:
        raise AudioError(f"{name}: unsupported sample rate {rate} Hz")
    if width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        x = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 256.0).astype(np.float64)
    elif width == 4:
        x = np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<i4").astype(np.float64) / 65536.0
    else:
        raise AudioError(f"{name}: unsupported sample width {width * 8} bits")
    usable = len(x) // channels * channels
    if usable == 0:
        raise AudioError(f"{name}: the file holds no audio")
    if len(x) < n * channels:
        log.debug("%s: WAV header promises %d frames, only %d present", name, n, usable // channels)
    # Mixing to mono keeps both parties of a stereo call recording instead of dropping one.
    return x[:usable].reshape(-1, channels).mean(axis=1), rate


def _decode_wav_other(data: bytes, name: str) -> tuple[NDArray[np.float64], int]:
    """Float and G.711 WAVs, which the stdlib `wave` module refuses."""
    pos, fmt, channels, rate, bits, payload = 12, 0, 0, 0, 0, b""
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            fmt = int.from_bytes(body[0:2], "little")
            channels = int.from_bytes(body[2:4], "little")
            rate = int.from_bytes(body[4:8], "little")
            bits = int.from_bytes(body[14:16], "little")
        elif cid == b"data":
            payload = body
        pos += 8 + size + (size & 1)
    if not channels or not rate or not payload:
        raise AudioError(f"{name}: not a readable WAV file (missing fmt or data chunk)")
    if fmt == 3 and bits in (32, 64):
        x = np.frombuffer(payload[: len(payload) // (bits // 8) * (bits // 8)],
                          dtype="<f4" if bits == 32 else "<f8").astype(np.float64) * 32767.0
    elif fmt == 6:
        x = alaw_decode(np.frombuffer(payload, dtype=np.uint8)).astype(np.float64)
    elif fmt == 7:
        x = ulaw_decode(np.frombuffer(payload, dtype=np.uint8)).astype(np.float64)
    else:
        raise AudioError(f"{name}: unsupported WAV encoding (format {fmt}, {bits} bits)")
    usable = len(x) // channels * channels
    if usable == 0:
        raise AudioError(f"{name}: the file holds no audio")
    return np.nan_to_num(x[:usable]).reshape(-1, channels).mean(axis=1), rate


def _decode_external(data: bytes, name: str) -> tuple[NDArray[np.float64], int]:
    """MP3 and other compressed formats through ffmpeg or sox, whichever is installed."""
    if shutil.which("ffmpeg"):
        cmd = ["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(RATE), "pipe:1"]
    elif shutil.which("sox"):
        cmd = ["sox", "-t", "mp3", "-", "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", str(RATE), "-"]
    else:
        raise AudioError(f"{name}: MP3 needs ffmpeg or sox installed on the server; upload a WAV instead")
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"{name}: decoding took too long") from exc
    if proc.returncode != 0 or len(proc.stdout) < 2:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no audio decoded"]
        raise AudioError(f"{name}: cannot decode compressed audio ({detail[0]})")
    return pcm_from_bytes(proc.stdout).astype(np.float64), RATE


def decode_audio(data: bytes, name: str = "audio") -> Pcm:
    """Any supported upload as 8 kHz mono int16; raises AudioError with a user-facing message."""
    if not data:
        raise AudioError(f"{name}: the file is empty")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        x, rate = _decode_wav(data, name)
    elif data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0):
        x, rate = _decode_external(data, name)
    else:
        raise AudioError(f"{name}: unknown format; upload a WAV or MP3 file")
    pcm = resample(x, rate)
    if len(pcm) < FRAME_SAMPLES:
        raise AudioError(f"{name}: the audio is shorter than 20 ms")
    if len(pcm) > MAX_SAMPLE_S * RATE:
        raise AudioError(f"{name}: the audio is longer than {MAX_SAMPLE_S:.0f} s")
    return pcm


def read_audio(path: str | Path) -> Pcm:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise AudioError(f"{p.name}: cannot read ({exc.strerror})") from exc
    return decode_audio(data, p.name)


def wav_bytes(pcm: Pcm, rate: int = RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return buf.getvalue()


def write_wav(path: str | Path, pcm: Pcm, rate: int = RATE) -> None:
    Path(path).write_bytes(wav_bytes(pcm, rate))


# G.711 per ITU-T G.711 (segment tables computed rather than tabulated).
_ULAW_BIAS = 0x84


def ulaw_encode(pcm: Pcm) -> NDArray[np.uint8]:
    x = pcm.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), 32635) + _ULAW_BIAS
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    mant = (mag >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8)


def ulaw_decode(code: NDArray[np.uint8]) -> Pcm:
    u = (~code.astype(np.int32)) & 0xFF
    exp, mant = (u >> 4) & 0x07, u & 0x0F
    mag = (((mant << 3) + _ULAW_BIAS) << exp) - _ULAW_BIAS
    return np.where(u & 0x80, -mag, mag).astype(np.int16)


def alaw_encode(pcm: Pcm) -> NDArray[np.uint8]:
    x = pcm.astype(np.int32) >> 3
    sign = np.where(x >= 0, 0x80, 0)
    mag = np.minimum(np.where(x < 0, -x - 1, x), 0xFFF)
    exp = np.where(mag < 32, 0, np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 4)
    mant = np.where(exp == 0, mag >> 1, mag >> exp) & 0x0F
    return ((sign | (exp << 4) | mant) ^ 0x55).astype(np.uint8)


def alaw_decode(code: NDArray[np.uint8]) -> Pcm:
    a = code.astype(np.int32) ^ 0x55
    exp, mant = (a >> 4) & 0x07, a & 0x0F
    mag = np.where(exp == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(exp - 1, 0))
    return np.where(a & 0x80, mag, -mag).astype(np.int16)
