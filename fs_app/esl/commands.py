"""Builders for the command strings the dialer sends; they validate and escape, never guess.

Everything that ends up inside a command line is checked for newlines (which would let a
contact's data inject a second event-socket command) and for whitespace where FreeSWITCH
splits arguments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# FreeSWITCH refuses to wait less than this for a human to pick up in our strategies: a ring
# timeout under ~15 s cuts off people walking to the phone and inflates "no answer".
MIN_RING_TIMEOUT_S = 15

_VAR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_TOKEN = re.compile(r"^[^\s{}'\"\\,]+$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_NEEDS_QUOTES = re.compile(r"[\s,'{}=\\^]")


def _check_no_newline(what: str, value: str) -> None:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"{what} contains a line break or NUL: {value!r}")


def token(what: str, value: str) -> str:
    """A uuid, gateway name, application name...: one argument, nothing to escape."""
    _check_no_newline(what, value)
    if not _TOKEN.match(value):
        raise ValueError(f"{what} is not a single safe token: {value!r}")
    return value


def escape_var_value(value: str) -> str:
    """Quote a channel-variable value for ``{name=value,...}``.

    FreeSWITCH splits the block on commas and the originate line on spaces, but keeps
    single-quoted text whole; inside quotes a literal quote is written ``\\'``.
    """
    _check_no_newline("variable value", value)
    if value == "":
        return "''"
    if not _NEEDS_QUOTES.search(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def var_block(variables: Mapping[str, str | int | bool]) -> str:
    parts = []
    for name, raw in variables.items():
        if not _VAR_NAME.match(name):
            raise ValueError(f"bad channel variable name {name!r}")
        value = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
        parts.append(f"{name}={escape_var_value(value)}")
    return "{" + ",".join(parts) + "}"


@dataclass(frozen=True)
class Originate:
    """``originate {vars}<endpoint> <application>`` (always sent with ``bgapi``)."""

    uuid: str
    endpoint: str
    application: str = "&park()"
    variables: Mapping[str, str | int | bool] = field(default_factory=dict)

    def command(self) -> str:
        token("uuid", self.uuid)
        _check_no_newline("endpoint", self.endpoint)
        if " " in self.endpoint:
            raise ValueError(f"endpoint contains a space: {self.endpoint!r}")
        _check_no_newline("application", self.application)
        all_vars: dict[str, str | int | bool] = {"origination_uuid": self.uuid}
        all_vars.update(self.variables)
        return f"originate {var_block(all_vars)}{self.endpoint} {self.application}"


def customer_originate(
    *,
    uuid: str,
    gateway: str,
    number: str,
    prefix: str = "",
    caller_id_number: str,
    ring_timeout_s: int,
    dialer_vars: Mapping[str, str | int] | None = None,
    sip_headers: Mapping[str, str | int] | None = None,
) -> Originate:
    """The customer leg of issue #5: park on answer, early media consumed (not success)."""
    if not _NUMBER.match(prefix + number) or (prefix and not _NUMBER.match(prefix)):
        raise ValueError(f"bad number {prefix + number!r}")
    if not _NUMBER.match(caller_id_number):
        raise ValueError(f"bad caller id {caller_id_number!r}")
    token("gateway", gateway)
    variables: dict[str, str | int | bool] = {
        "origination_caller_id_number": caller_id_number,
        "originate_timeout": max(int(ring_timeout_s), MIN_RING_TIMEOUT_S),
        "ignore_early_media": "consume",
    }
    for name, value in (dialer_vars or {}).items():
        variables[name if name.startswith("dialer_") else "dialer_" + name] = value
    for name, value in (sip_headers or {}).items():
        if not name.startswith("X-"):
            raise ValueError(f"custom SIP headers must start with X-: {name!r}")
        variables["sip_h_" + name] = value
    return Originate(uuid, f"sofia/gateway/{gateway}/{prefix}{number}", "&park()", variables)


def operator_login_originate(*, uuid: str, endpoint: str, operator_id: str | int) -> Originate:
    """A nailed-up operator leg: answered once, parked, and parked again after each bridge."""
    return Originate(
        uuid,
        endpoint,
        "&park()",
        {
            "park_after_bridge": True,
            "hangup_after_bridge": False,
            "dialer_role": "agent",
            "dialer_operator": operator_id,
        },
    )


def uuid_bridge(a: str, b: str) -> str:
    return f"uuid_bridge {token('uuid', a)} {token('uuid', b)}"


def uuid_kill(uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    return f"uuid_kill {token('uuid', uuid)} {token('cause', cause)}"


def uuid_transfer(uuid: str, extension: str, context: str = "default") -> str:
    ext, ctx = token("extension", extension), token("context", context)
    return f"uuid_transfer {token('uuid', uuid)} {ext} XML {ctx}"


def uuid_break(uuid: str) -> str:
    return f"uuid_break {token('uuid', uuid)} all"


def uuid_setvar(uuid: str, name: str, value: str) -> str:
    if not _VAR_NAME.match(name):
        raise ValueError(f"bad channel variable name {name!r}")
    _check_no_newline("value", value)
    return f"uuid_setvar {token('uuid', uuid)} {name} {value}"


def uuid_recv_dtmf(uuid: str, digits: str) -> str:
    if not re.match(r"^[0-9*#A-D]+$", digits):
        raise ValueError(f"bad DTMF digits {digits!r}")
    return f"uuid_recv_dtmf {token('uuid', uuid)} {digits}"


def uuid_hold(uuid: str, off: bool = False) -> str:
    return f"uuid_hold {'off ' if off else ''}{token('uuid', uuid)}"
