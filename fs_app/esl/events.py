"""Decoding of event frames (``text/event-json`` and ``text/event-plain``) into :class:`Event`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from fs_app.esl.errors import ProtocolError
from fs_app.esl.parser import Frame, FrameParser

EVENT_JSON = "text/event-json"
EVENT_PLAIN = "text/event-plain"


@dataclass(frozen=True)
class Event:
    """A FreeSWITCH event: every header as a string, and the ``_body`` (BACKGROUND_JOB result)."""

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""

    def get(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default)

    @property
    def uuid(self) -> str:
        return self.headers.get("Unique-ID", "")

    @property
    def job_uuid(self) -> str:
        return self.headers.get("Job-UUID", "")

    def var(self, name: str, default: str = "") -> str:
        """A channel variable as it comes back in every channel event (``variable_<name>``)."""
        return self.headers.get("variable_" + name, default)


def is_event_frame(frame: Frame) -> bool:
    return frame.content_type in (EVENT_JSON, EVENT_PLAIN)


def decode_event(frame: Frame) -> Event:
    """Turn an event frame into an :class:`Event`; anything undecodable is a ProtocolError."""
    if frame.content_type == EVENT_JSON:
        return _decode_json(frame.body)
    if frame.content_type == EVENT_PLAIN:
        return _decode_plain(frame.body)
    raise ProtocolError(f"not an event frame: {frame.content_type!r}")


def _decode_json(body: bytes) -> Event:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"bad event JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("event JSON is not an object")
    name = data.get("Event-Name")
    if not isinstance(name, str) or not name:
        raise ProtocolError("event without Event-Name")
    raw_body = data.pop("_body", "")
    # FreeSWITCH sends every value as a string; anything else is coerced so that the
    # headers mapping has one type, but never guessed at further.
    headers = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return Event(name, headers, raw_body if isinstance(raw_body, str) else json.dumps(raw_body))


def _decode_plain(body: bytes) -> Event:
    # A plain event is itself a frame: url-encoded headers, optionally a Content-Length body.
    parser = FrameParser()
    frames = parser.feed(body + (b"" if body.endswith(b"\n\n") else b"\n\n"))
    if not frames:
        raise ProtocolError("empty plain event")
    inner = frames[0]
    headers = {k: unquote(v) for k, v in inner.headers.items()}
    name = headers.get("Event-Name", "")
    if not name:
        raise ProtocolError("event without Event-Name")
    try:
        text = inner.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"event body is not UTF-8: {exc}") from None
    return Event(name, headers, text)
