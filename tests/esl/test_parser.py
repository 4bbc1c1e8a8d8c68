"""The frame parser gives the same frames whatever the chunking of the bytes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fs_app.esl.errors import ProtocolError
from fs_app.esl.events import decode_event, is_event_frame
from fs_app.esl.parser import Frame, FrameParser, encode_command, encode_frame
from tests.esl.fixtures import fixture_files, switch_stream

FILES = fixture_files()
SMALL = [p for p in FILES if p.stat().st_size < 32_000]


def reference(path: Path) -> list[Frame]:
    return FrameParser().feed(switch_stream(path))


def frame_bounds(stream: bytes, frames: list[Frame]) -> list[tuple[int, int]]:
    """(start, end) of every frame in the stream, found by re-encoding nothing: by re-parsing."""
    bounds, parser, pos = [], FrameParser(), 0
    start = 0
    for pos in range(len(stream)):
        if parser.feed(stream[pos : pos + 1]):
            bounds.append((start, pos + 1))
            start = pos + 1
    assert len(bounds) == len(frames)
    return bounds


def test_fixtures_exist() -> None:
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_whole_file_parses_into_known_frame_types(path: Path) -> None:
    frames = reference(path)
    assert frames[0].content_type == "auth/request"
    for frame in frames:
        assert frame.content_type in {
            "auth/request", "command/reply", "api/response", "text/event-json", "text/disconnect-notice",
        }
        if is_event_frame(frame):
            event = decode_event(frame)
            assert event.name == json.loads(frame.body)["Event-Name"]


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_small_files_split_in_two_at_every_offset(path: Path) -> None:
    stream, ref = switch_stream(path), reference(path)
    for k in range(len(stream) + 1):
        parser = FrameParser()
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == ref, k
        assert parser.buffered == 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_random_multi_chunk_splits(path: Path) -> None:
    stream, ref = switch_stream(path), reference(path)
    rng = random.Random(path.stem)
    for _ in range(30):
        parser, got, pos = FrameParser(), [], 0
        while pos < len(stream):
            step = rng.choice((1, 2, 3, 7, 64, 500, 4096, 20000))
            got += parser.feed(stream[pos : pos + step])
            pos += step
        assert got == ref


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_byte_by_byte(path: Path) -> None:
    stream, ref = switch_stream(path), reference(path)
    parser, got = FrameParser(), []
    for i in range(len(stream)):
        got += parser.feed(stream[i : i + 1])
    assert got == ref


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_offset_of_every_file(path: Path) -> None:
    """Two-chunk split at every byte offset of every file, at O(frame) cost per offset.

    A split at offset k only changes what the parser does inside the frame that contains k:
    before that frame the first chunk holds whole frames (which the whole-file parse covers),
    and after it the parser is back in its empty state (asserted below), so the rest of the
    stream parses exactly as in the reference. Each frame is therefore fed, from an empty
    parser, as [its start..k] then [k..its end], for every k inside it.
    """
    stream, ref = switch_stream(path), reference(path)
    for index, (start, end) in enumerate(frame_bounds(stream, ref)):
        chunk = stream[start:end]
        for k in range(len(chunk) + 1):
            parser = FrameParser()
            got = parser.feed(chunk[:k]) + parser.feed(chunk[k:])
            assert got == [ref[index]], (start + k)
            assert parser.buffered == 0


def test_stray_newlines_between_frames_are_skipped() -> None:
    data = b"\nContent-Type: auth/request\n\n\n\nContent-Type: command/reply\nReply-Text: +OK\n\n"
    frames = FrameParser().feed(data)
    assert [f.content_type for f in frames] == ["auth/request", "command/reply"]


@pytest.mark.parametrize(
    "bad",
    [
        b"no colon here\n\n",
        b"Content-Length: abc\n\n",
        b"Content-Length: -1\n\n",
        b"Content-Length: 99999999999\n\n",
        b"Content-Type: \xff\xfe\n\n",
        b" Leading: space\n\n",
    ],
)
def test_malformed_frames_raise_protocol_error(bad: bytes) -> None:
    parser = FrameParser()
    with pytest.raises(ProtocolError):
        parser.feed(bad)
    with pytest.raises(ProtocolError):
        parser.feed(b"Content-Type: auth/request\n\n")  # a failed parser stays failed


def test_endless_header_block_is_refused() -> None:
    parser = FrameParser()
    with pytest.raises(ProtocolError):
        for _ in range(100):
            parser.feed(b"X-Long: " + b"a" * 1000 + b"\n")


def test_encode_roundtrip() -> None:
    data = encode_frame([("Content-Type", "api/response")], b"+OK\n")
    assert data == b"Content-Length: 4\nContent-Type: api/response\n\n+OK\n"
    expected = Frame({"Content-Length": "4", "Content-Type": "api/response"}, b"+OK\n")
    assert FrameParser().feed(data) == [expected]


def test_encode_command_refuses_injection() -> None:
    assert encode_command("api status") == b"api status\n\n"
    assert encode_command("bgapi x", [("Job-UUID", "1")]) == b"bgapi x\nJob-UUID: 1\n\n"
    with pytest.raises(ValueError):
        encode_command("api status\n\napi hupall")
    with pytest.raises(ValueError):
        encode_command("sendmsg u", [("execute-app-arg", "a\nb")])
