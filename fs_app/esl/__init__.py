"""Our own FreeSWITCH event-socket client: a pure frame parser, command builders, an asyncio client."""

from fs_app.esl.client import DEFAULT_EVENTS, Backoff, EslClient, Job, JobResult
from fs_app.esl.errors import AuthError, CommandError, ConnectionLost, EslError, ProtocolError
from fs_app.esl.events import Event, decode_event
from fs_app.esl.parser import Frame, FrameParser, encode_command, encode_frame

__all__ = [
    "DEFAULT_EVENTS", "AuthError", "Backoff", "CommandError", "ConnectionLost", "EslClient", "EslError",
    "Event", "Frame", "FrameParser", "Job", "JobResult", "ProtocolError", "decode_event",
    "encode_command", "encode_frame",
]
