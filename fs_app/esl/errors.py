"""The one exception hierarchy of the event-socket boundary."""

from __future__ import annotations


class EslError(Exception):
    """Anything that went wrong talking to FreeSWITCH (or the simulated switch)."""


class ProtocolError(EslError):
    """The peer sent bytes that are not a well-formed event-socket frame."""


class AuthError(EslError):
    """The switch refused our password; retrying with the same one cannot help."""


class CommandError(EslError):
    """A command was answered with ``-ERR ...``."""

    def __init__(self, command: str, reply: str) -> None:
        super().__init__(f"{command!r} failed: {reply}")
        self.command = command
        self.reply = reply


class ConnectionLost(EslError):
    """The socket closed (or was closed because of a protocol error) while a command waited."""
