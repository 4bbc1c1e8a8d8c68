"""Strategies (R4.8): how a campaign dials, and its call-result rules (R4.9).

The call window is the customer's local time; a window that ends before it starts
crosses midnight (21:00-06:00 dials in the evening and early morning).
"""

from __future__ import annotations

import json
from datetime import time
from typing import Any

import asyncpg

from dialer.campaigns.refs import Field, RefKind
from dialer.campaigns.rules import (
    RuleError,
    parse_rules,
    referenced_codes,
    referenced_templates,
    rules_to_json,
)
from dialer.errors import InvalidInput

DIAL_MODES: tuple[tuple[str, str], ...] = (
    ("preview", "Preview"),
    ("progressive", "Progressive"),
    ("predictive", "Predictive"),
    ("agentless", "Agentless"),
)
INTENSITIES: tuple[tuple[str, str], ...] = (("low", "Low"), ("normal", "Normal"), ("high", "High"))
SIP_ID_TYPES: tuple[tuple[str, str], ...] = (("contact", "Contact id"), ("call", "Call id"))


def crosses_midnight(start: time, end: time) -> bool:
    return end < start


def in_call_window(start: time, end: time, local: time) -> bool:
    """Whether a customer's local time is inside the window; start == end means all day."""
    if start == end:
        return True
    if crosses_midnight(start, end):
        return local >= start or local < end
    return start <= local < end


def parse_rules_field(value: Any) -> dict[str, Any]:
    """The rules field: JSON text from the form or an object from the API, stored canonical."""
    if isinstance(value, str):
        if not value.strip():
            return rules_to_json(parse_rules({}))
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    try:
        return rules_to_json(parse_rules(value))
    except RuleError as exc:
        raise ValueError(str(exc)) from None


def show_rules(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, indent=2)


def check_strategy(v: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    v["quality_percent"] = v["quality_percent"] or 0  # an empty field means no survey
    if v["intensity"] and v["dial_mode"] != "predictive":
        errors["intensity"] = "only for the predictive mode"
    if (
        v["min_operators"] is not None
        and v["max_operators"] is not None
        and v["min_operators"] > v["max_operators"]
    ):
        errors["max_operators"] = "less than the minimum"
    if v["quality_percent"] and v["quality_ivr_id"] is None:
        errors["quality_ivr_id"] = "choose the quality IVR number"
    if v["dial_mode"] == "preview" and v["preview_seconds"] is None:
        errors["preview_seconds"] = "required"
    if v["amd_false_positive_pct"] is not None and not v["amd"]:
        errors["amd_false_positive_pct"] = "only with answering-machine detection"
    return errors


async def _check_references(conn: asyncpg.Connection, strategy_id: int, values: dict[str, Any]) -> None:
    """Rule chains name codes by key and templates by id: both must exist (and fit the channel)."""
    rules = parse_rules(values["rules"])
    known = {r["key"] for r in await conn.fetch("SELECT key FROM completion_codes")}
    missing = sorted(referenced_codes(rules) - known)
    if missing:
        raise InvalidInput({"rules": "unknown completion codes: " + ", ".join(missing)})
    templates = {
        (r["channel"], r["id"]) for r in await conn.fetch("SELECT id, channel FROM notification_templates")
    }
    bad = sorted(f"{ch} {tid}" for ch, tid in referenced_templates(rules) - templates)
    if bad:
        raise InvalidInput({"rules": "no such notification templates: " + ", ".join(bad)})


STRATEGIES = RefKind(
    key="strategies",
    table="strategies",
    title="Strategies",
    singular="Strategy",
    fields=(
        Field("name", "Name", required=True),
        Field("description", "Description", "textarea", max_len=2000),
        Field("dial_mode", "Dial mode", "choice", required=True, choices=DIAL_MODES),
        Field(
            "calls_per_operator",
            "Calls per operator",
            "decimal",
            required=True,
            lo=0.1,
            hi=50,
            help="Initial call rate until the pacing model has statistics",
        ),
        Field(
            "intensity", "Intensity", "choice", choices=INTENSITIES, help="Predictive only; empty: automatic"
        ),
        Field("sip_id_type", "Identifier in the SIP header", "choice", required=True, choices=SIP_ID_TYPES),
        Field("skill_id", "Skill", "ref", ref="skills"),
        Field("default_code_id", "Default completion code", "ref", ref="completion_codes"),
        Field(
            "window_start", "Call window start", "time", required=True, help="Customer's local time, HH:MM"
        ),
        Field(
            "window_end",
            "Call window end",
            "time",
            required=True,
            help="An end before the start means the window crosses midnight",
        ),
        Field("ring_timeout", "Ring timeout, s", "int", required=True, lo=15, hi=300),
        Field("caller_id_group_id", "Caller ID group", "ref", ref="caller_id_groups"),
        Field("max_attempts", "Maximum attempts per contact", "int", lo=1, hi=1000),
        Field("min_operators", "Minimum operators", "int", lo=0, hi=10000),
        Field("max_operators", "Maximum operators", "int", lo=0, hi=10000),
        Field(
            "wrapup_seconds",
            "Wrap-up, s",
            "int",
            lo=0,
            hi=3600,
            help="Used when the operator's skill has no wrap-up time of its own",
        ),
        Field("max_ports", "Maximum ports", "int", lo=1, hi=100000, help="Empty: the system decides"),
        Field("amd", "Answering-machine detection", "bool"),
        Field(
            "amd_false_positive_pct",
            "People hung up on as machines, %",
            "decimal",
            lo=0,
            hi=50,
            help="Counted as abandoned calls by the pacing; empty: measured on the active AMD model's evaluation set",
        ),
        Field("quality_ivr_id", "Quality IVR number", "ref", ref="ivr_numbers"),
        Field("quality_percent", "Calls sent to quality IVR, %", "int", lo=0, hi=100),
        Field("preview_seconds", "Preview, s", "int", lo=1, hi=3600),
        Field("ignore_dnc_callbacks", "Ignore DNC for callbacks", "bool"),
        Field("script_id", "Operator script", "ref", ref="scripts"),
        Field(
            "rules",
            "Call-result rules",
            "json",
            parse=parse_rules_field,
            show=show_rules,
            help="JSON: working and holiday rule chains per completion code, SMS-reply rules",
        ),
    ),
    check=check_strategy,
    save_extra=_check_references,
)
