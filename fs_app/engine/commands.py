"""What the pure core asks the driver to do. Frozen, so a test can compare them as values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fs_app.engine.ports import AttemptResult
from fs_app.esl.commands import Originate


@dataclass(frozen=True)
class Dial:
    """Write the attempt row, then ``bgapi originate`` (never the other way round)."""

    call_id: str
    campaign_id: int
    contact_id: int
    phone: str
    connector: str
    caller_id: str
    originate: Originate


@dataclass(frozen=True)
class OriginateLeg:
    """An operator's or supervisor's phone (direct mode, eavesdrop, take-over): no attempt row."""

    originate: Originate


@dataclass(frozen=True)
class Api:
    """A one-line ``api`` command (uuid_bridge, uuid_kill, uuid_transfer, uuid_break, ...)."""

    command: str


@dataclass(frozen=True)
class Execute:
    """``sendmsg <uuid> execute <app> <arg>``: playback to a leg we may bridge later.

    Never ``uuid_broadcast`` for such legs: on a real FreeSWITCH the later bridge never completes.
    """

    uuid: str
    app: str
    arg: str = ""


@dataclass(frozen=True)
class StartAmd:
    uuid: str


@dataclass(frozen=True)
class StopAmd:
    uuid: str


@dataclass(frozen=True)
class FetchTargets:
    """Ask the contact source for numbers; the answer comes back through ``EngineCore.deliver``."""

    campaign_id: int
    n: int
    for_operators: tuple[str, ...] = ()  # preview: one card per reserved operator


@dataclass(frozen=True)
class UpdateAttempt:
    """Columns of the attempt row to change (names as in sql/030_calls.sql)."""

    call_id: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class RecordResult:
    result: AttemptResult


@dataclass(frozen=True)
class LoadAbandonHistory:
    """Read the campaign's attempts answered since ``since`` and started before ``before`` (those of earlier
    runs) and hand them to ``EngineCore.seed_abandons``: the governor's 30-day memory survives restarts."""

    campaign_id: int
    since: float
    before: float


@dataclass(frozen=True)
class Publish:
    """A JSON-able event for the supervisor console (channel ``engine.events``)."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SetLive:
    """Live state for the console: ``key`` parts under the store's prefix, JSON value or None (delete)."""

    key: tuple[str, ...]
    value: Mapping[str, Any] | None


Command = (Dial | OriginateLeg | Api | Execute | StartAmd | StopAmd | FetchTargets | UpdateAttempt
           | RecordResult | LoadAbandonHistory | Publish | SetLive)
