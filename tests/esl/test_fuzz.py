"""Garbage never crashes the parser or the event decoder beyond ProtocolError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fs_app.esl.errors import ProtocolError
from fs_app.esl.events import decode_event
from fs_app.esl.parser import Frame, FrameParser
from tests.esl.fixtures import fixture_files, switch_stream

SAMPLE = switch_stream(sorted(fixture_files(), key=lambda p: p.stat().st_size)[3])


def _feed_all(chunks: list[bytes]) -> None:
    parser = FrameParser()
    try:
        for chunk in chunks:
            for frame in parser.feed(chunk):
                if frame.content_type.startswith("text/event"):
                    decode_event(frame)
    except ProtocolError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=10))
def test_random_bytes(chunks: list[bytes]) -> None:
    _feed_all(chunks)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SAMPLE) - 1), st.binary(min_size=1, max_size=8), st.integers(1, 9000))
def test_mutated_real_traffic(pos: int, junk: bytes, cut: int) -> None:
    mutated = SAMPLE[:pos] + junk + SAMPLE[pos + len(junk) :]
    _feed_all([mutated[:cut], mutated[cut:]])


header_text = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["text/event-json", "text/event-plain"]), st.binary(max_size=300))
def test_event_decoder_on_garbage_bodies(ctype: str, body: bytes) -> None:
    try:
        decode_event(Frame({"Content-Type": ctype}, body))
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True), header_text, min_size=1,
                    max_size=6),
    st.binary(max_size=100),
)
def test_wellformed_frames_roundtrip(headers: dict[str, str], body: bytes) -> None:
    from fs_app.esl.parser import encode_frame

    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"} or {"X": "y"}
    data = encode_frame(headers.items(), body)
    frames = FrameParser().feed(data)
    assert len(frames) == 1
    assert frames[0].body == body
    assert {k: v for k, v in frames[0].headers.items() if k != "Content-Length"} == headers
