"""Notification templates (R4.7): SMS and e-mail texts with ``@field`` substitution.

``@@`` writes a literal ``@`` (an e-mail address in the text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dialer.campaigns.refs import Field, RefKind, Usage

CHANNELS: tuple[tuple[str, str], ...] = (("sms", "SMS"), ("email", "E-mail"))
_TOKEN = re.compile(r"@@|@([A-Za-z_][A-Za-z0-9_]*)")


def template_fields(text: str) -> set[str]:
    return {m.group(1) for m in _TOKEN.finditer(text) if m.group(1)}


def render_text(text: str, attrs: Mapping[str, Any]) -> str:
    """The text with ``@field`` replaced by the contact's value; unknown fields become empty."""

    def sub(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "@"
        value = attrs.get(match.group(1))
        return "" if value is None else str(value)

    return _TOKEN.sub(sub, text)


def _check(values: dict[str, Any]) -> dict[str, str]:
    if values["channel"] == "email" and not values["subject"]:
        return {"subject": "required"}
    return {}


_RULE_USES_TEMPLATE = (
    "SELECT name FROM strategies WHERE jsonb_path_exists(rules, '$.**.template_id ? (@ == $t)', "
    "jsonb_build_object('t', $1::int)) ORDER BY 1"
)

TEMPLATES = RefKind(
    key="notification_templates",
    table="notification_templates",
    title="Notification templates",
    singular="Notification template",
    fields=(
        Field("name", "Name", required=True),
        Field("channel", "Channel", "choice", required=True, choices=CHANNELS),
        Field("subject", "Subject", max_len=500, help="E-mail only"),
        Field(
            "body", "Text", "textarea", required=True, max_len=5000, help="Contact fields as @field; @@ for @"
        ),
        Field("description", "Description", "textarea", max_len=2000),
    ),
    usages=(Usage("strategy rules", _RULE_USES_TEMPLATE),),
    check=_check,
)
