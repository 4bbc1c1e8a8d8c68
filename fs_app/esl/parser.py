"""Pure, incremental event-socket frame parser (no I/O, in the spirit of h11).

A frame is a block of ``Name: value`` lines ended by an empty line, followed by exactly
``Content-Length`` bytes of body when that header is present. Bytes may arrive in any
chunking; :meth:`FrameParser.feed` returns the frames completed so far and keeps the rest.
The buffer is only scanned forward, so feeding a file byte by byte costs O(n), not O(n^2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fs_app.esl.errors import ProtocolError

# Limits protect the client from a peer that never ends a header block or announces a
# gigantic body; real frames are a few KiB (the largest fixture body is ~6 KiB).
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Frame:
    """One complete frame: its headers in arrival order and its raw body."""

    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        return self.headers.get("Reply-Text", "")


def _parse_headers(block: bytes) -> dict[str, str]:
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"header block is not UTF-8: {exc}") from None
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"malformed header line {line[:80]!r}")
        headers[name] = value[1:] if value.startswith(" ") else value
    return headers


def _content_length(headers: Mapping[str, str]) -> int:
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    if not raw.isascii() or not raw.isdigit():
        raise ProtocolError(f"bad Content-Length {raw[:40]!r}")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise ProtocolError(f"Content-Length {length} exceeds {MAX_BODY_BYTES}")
    return length


class FrameParser:
    """Feed bytes, get frames. After a :class:`ProtocolError` the parser is unusable."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._scan_from = 0  # where to resume looking for the blank line
        self._pending: dict[str, str] | None = None  # headers whose body is still arriving
        self._need = 0
        self._broken = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        if self._broken:
            raise ProtocolError("parser already failed")
        self._buf += data
        frames: list[Frame] = []
        try:
            while True:
                frame = self._next_frame()
                if frame is None:
                    return frames
                frames.append(frame)
        except ProtocolError:
            self._broken = True
            raise

    def _next_frame(self) -> Frame | None:
        buf = self._buf
        if self._pending is None:
            # FreeSWITCH never sends empty header blocks, but libesl skips stray newlines
            # between frames, and so do we.
            start = 0
            while start < len(buf) and buf[start] == 0x0A:
                start += 1
            if start:
                del buf[:start]
                self._scan_from = max(0, self._scan_from - start)
            end = buf.find(b"\n\n", max(0, self._scan_from - 1))
            if end < 0:
                if len(buf) > MAX_HEADER_BYTES:
                    raise ProtocolError("header block too long")
                self._scan_from = len(buf)
                return None
            if end > MAX_HEADER_BYTES:
                raise ProtocolError("header block too long")
            headers = _parse_headers(bytes(buf[:end]))
            need = _content_length(headers)
            del buf[: end + 2]
            self._scan_from = 0
            if need == 0:
                return Frame(headers, b"")
            self._pending, self._need = headers, need
        if len(buf) < self._need:
            return None
        body = bytes(buf[: self._need])
        del buf[: self._need]
        headers, self._pending, self._need = self._pending, None, 0
        return Frame(headers, body)


def encode_frame(headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    """Serialise a frame; a body gets a leading Content-Length unless the headers carry one."""
    pairs = list(headers)
    parts: list[str] = []
    if body and not any(name == "Content-Length" for name, _ in pairs):
        parts.append(f"Content-Length: {len(body)}\n")
    for name, value in pairs:
        if "\n" in name or "\n" in value:
            raise ValueError(f"newline in header {name!r}")
        parts.append(f"{name}: {value}\n")
    parts.append("\n")
    return "".join(parts).encode("utf-8") + body


def encode_command(line: str, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> bytes:
    """Serialise a client command: the command line, optional headers, a blank line, a body."""
    if "\n" in line:
        raise ValueError("newline in command line would inject a second command")
    out = [line, "\n"]
    for name, value in headers:
        if "\n" in name or "\n" in value:
            raise ValueError(f"newline in header {name!r}")
        out.append(f"{name}: {value}\n")
    if body:
        out.append(f"content-length: {len(body)}\n")
    out.append("\n")
    return "".join(out).encode("utf-8") + body
