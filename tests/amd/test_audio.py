"""Uploads: converted when possible, refused with a message naming the problem otherwise."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np
import pytest

from amd.audio import AudioError, decode_audio, wav_bytes
from tests.amd.conftest import tone


def wav(data: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return buf.getvalue()


def test_stereo_48k_is_mixed_and_resampled() -> None:
    t = np.arange(48000) / 48000
    left = (8000 * np.sin(2 * np.pi * 1000 * t)).astype("<i2")
    stereo = np.stack([left, left], axis=1).reshape(-1)
    pcm = decode_audio(wav(stereo, 48000, channels=2), "call.wav")
    assert len(pcm) == 8000
    spectrum = np.abs(np.fft.rfft(pcm.astype(float)))
    assert abs(int(np.argmax(spectrum)) - 1000) <= 2  # 1 Hz bins over one second


def test_8bit_wav_is_converted() -> None:
    data = (np.clip(tone(500, 0.5) // 256 + 128, 0, 255)).astype(np.uint8)
    assert len(decode_audio(wav(data, 8000, width=1), "old.wav")) == 4000


@pytest.mark.parametrize("data,needle", [
    (b"", "empty"),
    (b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "not a readable WAV"),
    (b"hello world, not audio", "unknown format"),
])
def test_bad_input_is_refused(data: bytes, needle: str) -> None:
    with pytest.raises(AudioError, match=needle):
        decode_audio(data, "upload")


def test_header_only_wav_is_refused() -> None:
    with pytest.raises(AudioError, match=r"no audio|shorter"):
        decode_audio(wav(np.zeros(0, dtype="<i2"), 8000), "empty.wav")


def test_truncated_wav_keeps_what_is_there() -> None:
    full = wav_bytes(tone(700, 1.0))
    assert 3000 < len(decode_audio(full[: len(full) // 2], "cut.wav")) < 5000


@pytest.mark.skipif(shutil.which("ffmpeg") is None and shutil.which("sox") is None, reason="no mp3 decoder")
def test_mp3_is_decoded(tmp_path: pytest.TempPathFactory) -> None:
    src = tmp_path / "a.wav"  # type: ignore[operator]
    src.write_bytes(wav_bytes(tone(800, 1.0)))
    mp3 = tmp_path / "a.mp3"  # type: ignore[operator]
    proc = subprocess.run(["sox", str(src), str(mp3)], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip("sox cannot write mp3 here")
    pcm = decode_audio(mp3.read_bytes(), "a.mp3")
    assert 7000 < len(pcm) < 9500


def test_corrupt_mp3_is_refused() -> None:
    with pytest.raises(AudioError, match=r"a\.mp3"):
        decode_audio(b"ID3" + b"\x00" * 200, "a.mp3")
