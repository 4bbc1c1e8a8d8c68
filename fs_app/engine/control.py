"""EngineControl: what the operator workplace and the supervisor console may ask of the engine.

The web layer publishes JSON on the live-store channel ``engine.commands``; the engine answers
on ``engine.replies``. Schema (one object per message; ``id`` is echoed back)::

    {"id": "...", "action": "login", "operator_id": "7", "mode": "nailed"|"direct",
     "endpoint": "user/1007", "skills": {"sales": 3}, "campaigns": [1, 2], "ready": false}
    {"id": "...", "action": "ready"|"not_ready"|"logout", "operator_id": "7"}
    {"id": "...", "action": "wrap_up", "operator_id": "7", "code": "sale"}
    {"id": "...", "action": "preview_accept", "operator_id": "7"}
    {"id": "...", "action": "preview_reject", "operator_id": "7", "code": "wrong_person"}
    {"id": "...", "action": "hold"|"resume"|"end", "operator_id": "7"}
    {"id": "...", "action": "transfer", "operator_id": "7", "to_operator": "8"}   (or "to_ivr": "5001")
    {"id": "...", "action": "eavesdrop", "supervisor_id": "s1", "endpoint": "user/2001",
     "operator_id": "7", "mode": "listen"|"whisper"|"barge"}
    {"id": "...", "action": "eavesdrop_mode", "supervisor_id": "s1", "mode": "whisper"}
    {"id": "...", "action": "take_over", "supervisor_id": "s1", "endpoint": "user/2001", "operator_id": "7"}
    {"id": "...", "action": "set_call_rate", "campaign_id": 1, "call_rate": 1.5, "intensity": null}

Reply: ``{"id": "...", "ok": true}`` or ``{"id": "...", "ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from fs_app.engine.commands import Command
from fs_app.engine.core import ControlError, EavesdropMode, EngineCore

log = logging.getLogger("dialer.engine")

ACTIONS = frozenset({"login", "ready", "not_ready", "logout", "wrap_up", "preview_accept", "preview_reject",
                     "hold", "resume", "end", "transfer", "eavesdrop", "eavesdrop_mode", "take_over",
                     "set_call_rate"})
_MODES = ("listen", "whisper", "barge")


def _str(msg: Mapping[str, Any], key: str) -> str:
    value = msg.get(key)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise ControlError(f"{key!r} is required")
    return str(value)


def _mode(msg: Mapping[str, Any]) -> EavesdropMode:
    mode = msg.get("mode", "listen")
    if mode not in _MODES:
        raise ControlError(f"mode must be one of {_MODES}")
    return cast(EavesdropMode, mode)


class EngineControl:
    """Every method runs the action on the core and hands the resulting commands to ``run``."""

    def __init__(self, core: EngineCore, run: Callable[[list[Command]], None], clock: Callable[[], float]) -> None:
        self.core, self._run, self._clock = core, run, clock

    def login(self, operator_id: str, *, mode: str = "nailed", endpoint: str = "",
              skills: Mapping[str, int] | None = None, campaigns: list[int] | None = None,
              ready: bool = False) -> None:
        if mode not in ("nailed", "direct"):
            raise ControlError("mode must be 'nailed' or 'direct'")
        if mode == "direct" and not endpoint:
            raise ControlError("direct mode needs the operator's phone endpoint")
        self._run(self.core.login(operator_id, self._clock(), mode="nailed" if mode == "nailed" else "direct",
                                  endpoint=endpoint, skills=skills, campaigns=campaigns or (), ready=ready))

    def set_state(self, operator_id: str, state: str) -> None:
        self._run(self.core.set_state(operator_id, state, self._clock()))

    def wrap_up(self, operator_id: str, code: str) -> None:
        self._run(self.core.wrap_up(operator_id, code, self._clock()))

    def preview_accept(self, operator_id: str) -> None:
        self._run(self.core.preview_accept(operator_id, self._clock()))

    def preview_reject(self, operator_id: str, code: str) -> None:
        self._run(self.core.preview_reject(operator_id, code, self._clock()))

    def hold(self, operator_id: str, on: bool = True) -> None:
        self._run(self.core.hold(operator_id, on, self._clock()))

    def end_call(self, operator_id: str) -> None:
        self._run(self.core.end_call(operator_id, self._clock()))

    def transfer(self, operator_id: str, *, to_operator: str | None = None, to_ivr: str | None = None) -> None:
        if bool(to_operator) == bool(to_ivr):
            raise ControlError("transfer needs exactly one of to_operator, to_ivr")
        self._run(self.core.transfer(operator_id, self._clock(), to_operator=to_operator, to_ivr=to_ivr))

    def eavesdrop(self, supervisor_id: str, endpoint: str, operator_id: str, mode: EavesdropMode = "listen") -> None:
        self._run(self.core.eavesdrop(supervisor_id, endpoint, operator_id, mode, self._clock()))

    def eavesdrop_mode(self, supervisor_id: str, mode: EavesdropMode) -> None:
        self._run(self.core.eavesdrop_mode(supervisor_id, mode, self._clock()))

    def take_over(self, supervisor_id: str, endpoint: str, operator_id: str) -> None:
        self._run(self.core.take_over(supervisor_id, endpoint, operator_id, self._clock()))

    def set_call_rate(self, campaign_id: int, call_rate: float, intensity: float | None = None) -> None:
        if not 0 < call_rate <= 30:
            raise ControlError("call_rate must be in (0, 30]")
        self._run(self.core.update_campaign(campaign_id, self._clock(), call_rate=float(call_rate),
                                            intensity=intensity))

    # -- the JSON command channel ----------------------------------------------------------------------
    def handle(self, raw: str) -> dict[str, Any]:
        """One message from ``engine.commands``; returns the reply for ``engine.replies``."""
        msg_id: Any = None
        try:
            msg = json.loads(raw)
            if not isinstance(msg, dict):
                raise ControlError("a command is a JSON object")
            msg_id = msg.get("id")
            self._dispatch(msg)
        except (ControlError, ValueError) as exc:
            return {"id": msg_id, "ok": False, "error": str(exc)}
        return {"id": msg_id, "ok": True}

    def _dispatch(self, m: Mapping[str, Any]) -> None:
        action = m.get("action")
        if action not in ACTIONS:
            raise ControlError(f"unknown action {action!r}")
        if action == "login":
            skills = m.get("skills") or {}
            if not isinstance(skills, dict):
                raise ControlError("skills is an object of skill -> level")
            self.login(_str(m, "operator_id"), mode=str(m.get("mode", "nailed")), endpoint=str(m.get("endpoint", "")),
                       skills={str(k): int(v) for k, v in skills.items()},
                       campaigns=[int(c) for c in m.get("campaigns") or []], ready=bool(m.get("ready", False)))
        elif action in ("ready", "not_ready", "logout"):
            self.set_state(_str(m, "operator_id"), str(action))
        elif action == "wrap_up":
            self.wrap_up(_str(m, "operator_id"), _str(m, "code"))
        elif action == "preview_accept":
            self.preview_accept(_str(m, "operator_id"))
        elif action == "preview_reject":
            self.preview_reject(_str(m, "operator_id"), _str(m, "code"))
        elif action in ("hold", "resume"):
            self.hold(_str(m, "operator_id"), on=action == "hold")
        elif action == "end":
            self.end_call(_str(m, "operator_id"))
        elif action == "transfer":
            self.transfer(_str(m, "operator_id"), to_operator=m.get("to_operator"), to_ivr=m.get("to_ivr"))
        elif action == "eavesdrop":
            self.eavesdrop(_str(m, "supervisor_id"), _str(m, "endpoint"), _str(m, "operator_id"), _mode(m))
        elif action == "eavesdrop_mode":
            self.eavesdrop_mode(_str(m, "supervisor_id"), _mode(m))
        elif action == "take_over":
            self.take_over(_str(m, "supervisor_id"), _str(m, "endpoint"), _str(m, "operator_id"))
        else:
            intensity = m.get("intensity")
            self.set_call_rate(int(_str(m, "campaign_id")), float(m.get("call_rate", 0)),
                               None if intensity is None else float(intensity))
