"""Parsing ``originate {vars}endpoint &app(arg)`` the way FreeSWITCH reads it (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class OriginateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class OriginateArgs:
    variables: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    app: str = "park"
    app_arg: str = ""


def _split_vars(block: str) -> dict[str, str]:
    """Split ``a=b,c='d, e'`` honouring single quotes and backslash escapes."""
    out: dict[str, str] = {}
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    i = 0
    while i < len(block):
        c = block[i]
        if c == "\\" and i + 1 < len(block):
            cur.append(block[i + 1])
            i += 2
            continue
        if c == "'":
            quoted = not quoted
        elif c == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if quoted:
        raise OriginateSyntaxError("unterminated quote in variables")
    parts.append("".join(cur))
    for part in parts:
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise OriginateSyntaxError(f"variable without '=': {part!r}")
        out[name.strip()] = value
    return out


def _block_end(text: str) -> int:
    quoted, i = False, 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            quoted = not quoted
        elif c == "}" and not quoted:
            return i
        i += 1
    raise OriginateSyntaxError("unterminated {")


_APP = re.compile(r"^&([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$")


def parse_originate(arg: str) -> OriginateArgs:
    text = arg.strip()
    variables: dict[str, str] = {}
    if text.startswith("{"):
        end = _block_end(text)
        variables = _split_vars(text[1:end])
        text = text[end + 1 :]
    endpoint, _, rest = text.partition(" ")
    if not endpoint:
        raise OriginateSyntaxError("no endpoint")
    rest = rest.strip()
    match = _APP.match(rest)
    if not match:
        raise OriginateSyntaxError(f"the simulator runs only '&app(arg)' after originate, got {rest!r}")
    return OriginateArgs(variables, endpoint, match.group(1), match.group(2) or "")
