"""Integrations (R4.5): links opened in the operator workplace with contact data.

URL templates name contact fields in braces, ``https://crm/card?phone={phone}``; values
are URL-encoded so a contact's data cannot change the address's structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from dialer.campaigns.refs import Field, RefKind

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def url_fields(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def render_url(template: str, attrs: Mapping[str, Any]) -> str:
    """The template with each ``{field}`` replaced by the URL-encoded value (empty when absent)."""

    def sub(match: re.Match[str]) -> str:
        value = attrs.get(match.group(1))
        return quote("" if value is None else str(value), safe="")

    return _PLACEHOLDER.sub(sub, template)


def check_url_template(values: dict[str, Any]) -> dict[str, str]:
    template = values["url_template"]
    if not template.startswith(("http://", "https://")):
        return {"url_template": "starts with http:// or https://"}
    if template.count("{") != template.count("}") or _PLACEHOLDER.sub("", template).count("{"):
        return {"url_template": "a placeholder is {field}"}
    return {}


INTEGRATIONS = RefKind(
    key="integrations",
    table="integrations",
    title="Integrations",
    singular="Integration",
    fields=(
        Field("name", "Name", required=True),
        Field(
            "url_template",
            "URL template",
            required=True,
            max_len=2000,
            help="Contact fields in braces: https://crm.example/card?phone={phone}",
        ),
        Field("description", "Description", "textarea", max_len=2000),
        Field("active", "Active", "bool"),
        Field("open_by_default", "Open by default", "bool"),
    ),
    check=check_url_template,
)
