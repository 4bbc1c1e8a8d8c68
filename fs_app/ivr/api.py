"""The portal API as the IVR scripts see it: blocking JSON over HTTP with a bearer token.

Endpoints (served by the web layer):
  GET  {dialer_api_url}/ivr/contacts/{contact_id}        -> {"attrs": {"amount": "1500.50", "due_date": "2026-12-01"}}
  POST {dialer_api_url}/ivr/calls/{call_id}/survey       <- {"score": 1..5, "contact_id": ...}
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any, Protocol


class Session(Protocol):
    """The part of mod_python3's ``freeswitch.Session`` the scripts use."""

    def ready(self) -> bool: ...

    def answer(self) -> object: ...

    def getVariable(self, name: str) -> str | None: ...

    def setVariable(self, name: str, value: str) -> object: ...

    def execute(self, app: str, arg: str = "") -> object: ...

    def playAndGetDigits(self, min_digits: int, max_digits: int, max_tries: int, timeout: int,
                         terminators: str, audio_files: str, bad_input_audio_files: str,
                         digits_regex: str, var_name: str = "", digit_timeout: int = 0,
                         transfer_on_failure: str = "") -> str: ...


def request(session: Session, method: str, path: str, body: dict[str, Any] | None = None,
            timeout_s: float = 5.0) -> Any:
    base = (session.getVariable("dialer_api_url") or "").rstrip("/")
    if not base:
        raise RuntimeError("dialer_api_url is not set on the channel")
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    token = session.getVariable("dialer_api_token") or ""
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # the URL comes from our own dialplan
        raw = resp.read()
    return json.loads(raw) if raw else None


def contact_id(session: Session) -> str:
    """The contact id from the SIP header set on originate (agentless), else the channel variable."""
    for name in ("sip_h_X-Dialer-Contact-Id", "dialer_contact"):
        value = session.getVariable(name)
        if value and value.isdigit():
            return value
    return ""


def log(message: str) -> None:
    # Inside FreeSWITCH the `freeswitch` module has consoleLog; elsewhere the name may resolve to
    # the repository's freeswitch/ folder (a namespace package), so look the function up.
    try:
        import freeswitch

        console_log = getattr(freeswitch, "consoleLog", None)
    except ImportError:
        console_log = None
    if callable(console_log):
        console_log("info", f"dialer ivr: {message}\n")
    else:
        logging.getLogger("dialer.ivr").info("%s", message)
