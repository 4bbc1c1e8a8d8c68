"""Reading the recorded FreeSWITCH traffic in /work/shared/fixtures/freeswitch-esl."""

from __future__ import annotations

import os
import re
from pathlib import Path

FIXTURES = Path(os.environ.get("DIALER_ESL_FIXTURES", "/work/shared/fixtures/freeswitch-esl"))
_MARK = re.compile(rb"(>>>|<<<)\n")


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.esl"))


def segments(path: Path) -> list[tuple[str, bytes]]:
    """The file as (direction, bytes) pairs; '>>>' = client bytes, '<<<' = switch bytes."""
    data = path.read_bytes()
    parts = _MARK.split(data)
    return [(parts[i].decode(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def switch_stream(path: Path) -> bytes:
    return b"".join(b for d, b in segments(path) if d == "<<<")
