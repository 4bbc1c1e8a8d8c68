from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from amd.audio import RATE, Pcm, pcm_from_bytes

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "freeswitch-esl"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/freeswitch-esl")


def raw(name: str) -> bytes:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"fixture {path} not available")
    return path.read_bytes()


@pytest.fixture
def human_raw() -> bytes:
    return raw("unicast_human.raw")


@pytest.fixture
def machine_raw() -> bytes:
    return raw("unicast_machine.raw")


@pytest.fixture
def machine_pcm(machine_raw: bytes) -> Pcm:
    return pcm_from_bytes(machine_raw)


@pytest.fixture
def human_pcm(human_raw: bytes) -> Pcm:
    return pcm_from_bytes(human_raw)


def tone(freq: float, seconds: float, level: float = 8000.0) -> Pcm:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def silence(seconds: float) -> Pcm:
    return np.zeros(int(seconds * RATE), dtype=np.int16)
